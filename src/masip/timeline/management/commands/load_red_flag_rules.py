"""`manage.py load_red_flag_rules FILE --unit CODE`: load a unit's tuned red-flag rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from masip.accounts.models import Unit
from masip.risk.schema import DefinitionError
from masip.timeline.rules import ruleset_load


class Command(BaseCommand):
    help = (
        "Check a red-flag rules file (YAML or JSON; declarative: rule kinds, numbers, codes and "
        "explanation templates, never code) and store it as the unit's rules, in force from now. "
        "A version once loaded never changes: give each tuned file a new version."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--unit", required=True, help="The unit's code, e.g. CHS.")

    def handle(self, *args: Any, **options: Any) -> None:
        unit = Unit.objects.filter(code__iexact=options["unit"]).first()
        if unit is None:
            raise CommandError(f"No unit has the code {options['unit']}. Check the code on the unit's settings page.")
        path: Path = options["file"]
        try:
            content = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.") from None
        try:
            ruleset = ruleset_load(content=content, filename=path.name, unit=unit)
        except DefinitionError as error:
            lines = "\n".join(f"  - {problem}" for problem in error.problems)
            message = f"{path.name} was not loaded; nothing was stored. Fix these and load it again:\n{lines}"
            raise CommandError(message) from None
        rules = len(ruleset.definition["rules"])
        self.stdout.write(f"Loaded version {ruleset.version} of the red-flag rules for {unit} ({rules} rules).")
