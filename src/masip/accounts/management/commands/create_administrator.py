"""Create the first system administrator of a fresh install.

No password goes on the command line (it would stay in shell history and process lists):
the command prints a one-time invitation link through which the administrator chooses one.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from masip.accounts.services import AccountAdminError, administrator_create


class Command(BaseCommand):
    help = "Create a system administrator and print a one-time link for them to choose a password."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--name", required=True, help="The administrator's full name.")
        parser.add_argument("--unit-code", required=True, help="Short code of the unit, e.g. CHS.")
        parser.add_argument("--unit-name", required=True)
        parser.add_argument("--agency-name", required=True, help="The agency that leads the unit.")
        parser.add_argument(
            "--site-url",
            default="http://127.0.0.1:8000",
            help="The address people use to reach masip, for the link (default: %(default)s).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            issued = administrator_create(
                email=options["email"],
                full_name=options["name"],
                unit_code=options["unit_code"],
                unit_name=options["unit_name"],
                agency_name=options["agency_name"],
                site_url=options["site_url"],
            )
        except AccountAdminError as refusal:
            raise CommandError(str(refusal)) from refusal
        invitation = issued.invitation
        self.stdout.write(
            f"{invitation.email} is a system administrator of {invitation.unit}.\n"
            f"Give them this link, by a secure route. It works once, until "
            f"{invitation.expires_at:%Y-%m-%d %H:%M} UTC; run this command again for a new one.\n\n"
            f"{issued.link}\n"
        )
