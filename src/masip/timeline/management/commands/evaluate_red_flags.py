"""`manage.py evaluate_red_flags`: the nightly run of the red-flag rules over every open case."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from masip.accounts.models import Unit
from masip.timeline.redflags import redflags_evaluate_unit


class Command(BaseCommand):
    help = (
        "Run the red-flag rules in force over every case that is not closed (one unit with --unit). "
        "Safe to run any number of times: an alert found again is not raised twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--unit", help="Only this unit, by its code.")

    def handle(self, *args: Any, **options: Any) -> None:
        units = Unit.objects.order_by("code")
        if options["unit"]:
            units = units.filter(code__iexact=options["unit"])
            if not units.exists():
                raise CommandError(f"No unit has the code {options['unit']}.")
        for unit in units:
            cases, created = redflags_evaluate_unit(unit=unit)
            self.stdout.write(f"{unit}: checked {cases} open cases, {created} new alerts.")
