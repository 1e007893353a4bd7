"""`manage.py panel_reminders`: the daily reminders to owners of panel actions due soon or overdue."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from masip.panel.services_actions import REMIND_WITHIN_WORKING_DAYS, panel_reminders_send


class Command(BaseCommand):
    help = (
        f"Email the owner of each open panel action due within {REMIND_WITHIN_WORKING_DAYS} working days or "
        "overdue, at most once a day per action. The email names no case: it says a panel action needs "
        "attention, when it is due, and links to the actions tracker."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--site-url",
            default="http://127.0.0.1:8000",
            help="The address people use to reach masip, for the link (default: %(default)s).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        sent = panel_reminders_send(site_url=options["site_url"])
        self.stdout.write(f"Reminded {sent.owners} owner(s) of {sent.actions} panel action(s).")
