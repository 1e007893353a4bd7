"""manage.py load_training_catalogue --unit CODE: load masip's illustrative topic catalogue into a
unit that has no topics yet (never over a trainer's own)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from masip.accounts.models import Unit
from masip.training.catalogue import CatalogueError
from masip.training.services_catalogue import catalogue_install


class Command(BaseCommand):
    help = "Load masip's illustrative training catalogue into a unit that has no topics yet."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--unit", required=True, help="The unit's code.")

    def handle(self, *args: Any, **options: Any) -> None:
        unit = Unit.objects.filter(code=options["unit"]).first()
        if unit is None:
            raise CommandError(f"No unit has the code {options['unit']!r}.")
        try:
            added = catalogue_install(unit=unit)
        except ValidationError as error:
            self.stdout.write(" ".join(error.messages))
            return
        except CatalogueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"Loaded {added} topics into {unit.code}."))
