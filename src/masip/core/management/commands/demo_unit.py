"""`manage.py demo_unit`: load the synthetic demo unit (demo settings only) and say how to sign in."""

from __future__ import annotations

import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from masip.core.demo import (
    ACCEPTED,
    DEFAULT_SEED,
    DEMO_PASSWORD,
    REFERRALS,
    UNIT_CODE,
    UNIT_NAME,
    DemoError,
    demo_caseload_example,
    demo_email,
    demo_logins,
    demo_unit,
    demo_unit_create,
    require_demo_settings,
)


class Command(BaseCommand):
    help = (
        f"Create the synthetic demo unit ({UNIT_NAME}: {REFERRALS} referrals, {ACCEPTED} cases, a user for every "
        "role) and print how to sign in. Does nothing but print the sign-in details when it already exists."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--seed", type=int, default=DEFAULT_SEED, help="The same seed gives the same unit (default %(default)s)."
        )
        parser.add_argument(
            "--url", default="http://127.0.0.1:8000/", help="Where masip is served, for the sign-in hint."
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Start the demo over. Refused once the demo exists: the audit log is append-only.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            require_demo_settings("demo_unit")
        except DemoError as refusal:
            raise CommandError(str(refusal)) from refusal
        # masip's illustrative instruments first: the demo's cases were screened with one of them.
        call_command("load_instrument", "--shipped", stdout=self.stdout, stderr=self.stderr)
        if demo_unit() is not None:
            if options["reset"]:
                raise CommandError(
                    "The demo unit cannot be reset in place: the audit log is append-only, so the rows that "
                    "record the demo (and every sign-in since) can never be deleted, and the unit with them. "
                    "To start over, stop masip, delete the demo database (var/masip.sqlite3 and its -wal and "
                    "-shm files) and run `make demo` again."
                )
            self.stdout.write(f"The demo unit {UNIT_NAME} ({UNIT_CODE}) is already loaded; nothing was changed.")
        else:
            started = time.monotonic()
            try:
                summary = demo_unit_create(seed=options["seed"])
            except DemoError as refusal:
                raise CommandError(str(refusal)) from refusal
            sources = ", ".join(f"{name} {n}" for name, n in summary.referrals_by_source.items())
            self.stdout.write(
                self.style.SUCCESS(f"Created the demo unit {UNIT_NAME} ({UNIT_CODE})")
                + f" in {time.monotonic() - started:.1f} s, from seed {options['seed']}:\n"
                f"  {summary.referrals} referrals over ten months ({sources});\n"
                f"  {summary.accepted} accepted for unit risk management, each with a case; "
                f"{summary.partner_managed} partner-managed with unit advice;\n"
                f"  {summary.open_referrals} referrals waiting in the screening queue, the oldest overdue;\n"
                f"  {summary.people} people, {summary.team_rows} case-team places, {summary.notes} notes, "
                f"{summary.users} staff accounts."
            )
        self._print_sign_in(options["url"])

    def _print_sign_in(self, url: str) -> None:
        logins = demo_logins()
        width = max(len(login.role_label) for login in logins)
        email_width = max(len(login.email) for login in logins)
        lines = [
            "",
            f"Sign in at {url} as any of these demo users:",
            "",
            f"  {'Role':<{width}}  {'Email':<{email_width}}  TOTP secret (base32)",
        ]
        lines += [f"  {lo.role_label:<{width}}  {lo.email:<{email_width}}  {lo.totp_secret}" for lo in logins]
        manager = demo_email("manager")
        investigator = demo_email("investigator")
        mine, total, outside = demo_caseload_example(investigator)
        lines += [
            "",
            f"Password for every demo user: {DEMO_PASSWORD}",
            "",
            "Second factor: every demo user already has an authenticator set up. Get its current code with",
            f"  .venv/bin/python manage.py demo_code {manager}",
            "(each code works once; wait for the next one to sign in again), or add the user's TOTP secret",
            "above to an authenticator app on your phone.",
        ]
        if outside:
            lines += [
                "",
                f"Break-glass: {investigator} is on the case team of {mine} of the unit's {total} cases.",
                f"Opening another one, such as {outside}, asks for a written reason and alerts the unit manager.",
            ]
        lines += ["", "Everything in the demo unit is synthetic. Never enter real case data here."]
        self.stdout.write("\n".join(lines))
