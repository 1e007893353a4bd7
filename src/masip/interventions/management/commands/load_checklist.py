"""Load a unit's own investigation checklist: `manage.py load_checklist FILE --unit CODE`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from masip.accounts.models import Unit
from masip.interventions.services_legal import checklist_load


class Command(BaseCommand):
    help = "Load a unit's own investigation checklist (YAML: version, items of key and text) as its new version."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--unit", required=True, help="The unit's code, e.g. CHS.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            unit = Unit.objects.get(code__iexact=options["unit"])
        except Unit.DoesNotExist:
            raise CommandError(f"No unit has the code {options['unit']!r}.") from None
        try:
            text = options["file"].read_text(encoding="utf-8")
        except OSError as error:
            raise CommandError(f"Cannot read {options['file']}: {error.strerror}.") from None
        try:
            loaded = checklist_load(unit=unit, text=text)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(f"Loaded version {loaded.version} of {unit.name}'s checklist ({len(loaded.items)} items).")
