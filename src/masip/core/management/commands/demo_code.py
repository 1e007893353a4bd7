"""`manage.py demo_code EMAIL`: the current second-factor code of a demo user (demo settings only)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from masip.core.demo import DemoError, demo_code_for


class Command(BaseCommand):
    help = "Print the current TOTP code of one of the demo unit's users, e.g. manager@demo.masip.test."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="A demo user's email address, as printed by `manage.py demo_unit`.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            current = demo_code_for(options["email"])
        except DemoError as refusal:
            raise CommandError(str(refusal)) from refusal
        # The bare code on stdout (for scripts and copying); the advice on stderr.
        self.stdout.write(current.code)
        self.stderr.write(
            f"Valid for about {current.seconds_left} more seconds. Each code signs in once; "
            "for another sign-in, wait for the next code.",
            style_func=str,  # advice, not an error: no red
        )
