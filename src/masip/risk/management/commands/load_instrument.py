"""`manage.py load_instrument FILE [--unit CODE]` and `manage.py load_instrument --shipped`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from masip.accounts.models import Unit
from masip.risk.loading import instrument_load_result
from masip.risk.schema import DefinitionError, max_bytes, too_large_message

SHIPPED_DIR = Path(__file__).resolve().parents[2] / "shipped"


class Command(BaseCommand):
    help = (
        "Load a risk instrument definition file (YAML or JSON) as a new version: for one unit with --unit, "
        "else shipped to every unit. --shipped loads masip's own illustrative instruments. A loaded version "
        "never changes: load a changed file under a new version number."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="*", metavar="FILE", help="Definition files to load.")
        parser.add_argument("--unit", metavar="CODE", help="The code of the unit the instrument is for.")
        parser.add_argument("--shipped", action="store_true", help=f"Load every definition file under {SHIPPED_DIR}.")

    def handle(self, *args: Any, **options: Any) -> None:
        files = [Path(f) for f in options["files"]]
        if options["shipped"]:
            if options["unit"]:
                raise CommandError("--shipped loads masip's own instruments for every unit; leave out --unit.")
            files += sorted(p for p in SHIPPED_DIR.iterdir() if p.suffix in (".yaml", ".yml", ".json"))
        if not files:
            raise CommandError("Name the definition file to load, or use --shipped.")
        unit = None
        if options["unit"]:
            unit = Unit.objects.filter(code__iexact=options["unit"]).first()
            if unit is None:
                raise CommandError(f"There is no unit with the code {options['unit']}.")
        failed = 0
        for path in files:
            if not self._load(path, unit):
                failed += 1
        if failed:
            raise CommandError(f"{failed} of {len(files)} file(s) could not be loaded; nothing was stored from them.")

    def _load(self, path: Path, unit: Unit | None) -> bool:
        limit = max_bytes()
        try:
            with path.open("rb") as handle:
                # Never more than one byte past the limit, so a huge file is refused unread.
                content = handle.read(limit + 1)
        except OSError as exc:
            self.stderr.write(f"{path}: cannot be read ({exc.strerror}).")
            return False
        if len(content) > limit:
            self.stderr.write(f"{path}: {too_large_message(limit)}")
            return False
        try:
            result = instrument_load_result(actor=None, unit=unit, text=content, filename=path.name)
        except DefinitionError as refused:
            self.stderr.write(f"{path}: {len(refused.problems)} problem(s), nothing was loaded:")
            for problem in refused.problems:
                self.stderr.write(f"  {problem}")
            return False
        style = self.style.SUCCESS if result.created else self.style.NOTICE
        self.stdout.write(style(f"{path.name}: {result.summary}"))
        return True
