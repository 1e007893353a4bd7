"""`manage.py load_panel_decisions [--unit CODE]`: give units the panel's default decision options."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from masip.accounts.models import Unit
from masip.panel.services_items import decision_options_load


class Command(BaseCommand):
    help = (
        "Add the default decision options (masip/panel/data/decisions.yaml) that a unit lacks, by key, after "
        "its own. Options a unit has renamed, reordered, switched off or added itself are left as they are, "
        "and none is deleted: running it again changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--unit", help="The unit's code, e.g. CHS. Without it, every unit.")

    def handle(self, *args: Any, **options: Any) -> None:
        units = Unit.objects.order_by("code")
        if options["unit"]:
            units = units.filter(code__iexact=options["unit"])
            if not units.exists():
                raise CommandError(
                    f"No unit has the code {options['unit']!r}. Check the code on the unit's settings page."
                )
        for unit in units:
            try:
                added = decision_options_load(unit=unit)
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from None
            self.stdout.write(
                f"{unit.code}: {len(added)} option(s) added" + (f" ({', '.join(added)})." if added else ".")
            )
