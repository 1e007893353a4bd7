"""`manage.py evaluation_export --unit CODE --start YYYY-MM-DD --end YYYY-MM-DD --key NAME
--by EMAIL --recipient ... --purpose ... [--format csv|parquet] --out FILE.zip`

The same export as the web form, for a scheduled quarterly extract: made in the name of a member
of the unit (whose rights are checked as on the web), recorded as a disclosure, written to FILE.
Pseudonymised only: an identified export is taken on the web, where who takes it is verified.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from masip.accounts.models import Unit
from masip.core.csvfile import parse_date
from masip.reports.models import ExportFormat, ExportKey
from masip.reports.period import Period
from masip.reports.services_exports import ExportRefused, evaluation_export


class Command(BaseCommand):
    help = (
        "Make a pseudonymised evaluation export of a unit over a period (a ZIP with the cases file, the data "
        "dictionary and a README) in the name of a member of the unit, record it as a disclosure, and write it "
        "to --out."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--unit", required=True, metavar="CODE", help="The code of the unit.")
        parser.add_argument("--start", required=True, help="First day of the period (YYYY-MM-DD or DD/MM/YYYY).")
        parser.add_argument("--end", required=True, help="Last day of the period (YYYY-MM-DD or DD/MM/YYYY).")
        parser.add_argument("--key", required=True, metavar="NAME", help="The name of an active export key.")
        parser.add_argument("--by", required=True, metavar="EMAIL", help="The member taking the export.")
        parser.add_argument("--recipient", required=True, help="Who receives the file.")
        parser.add_argument("--purpose", required=True, help="Why it is handed over.")
        parser.add_argument("--format", default=ExportFormat.CSV, choices=ExportFormat.values)
        parser.add_argument("--out", required=True, metavar="FILE", help="Where to write the ZIP (must not exist).")

    def handle(self, *args: Any, **options: Any) -> None:
        unit = Unit.objects.filter(code__iexact=options["unit"]).first()
        if unit is None:
            raise CommandError(f"There is no unit with the code {options['unit']}.")
        user = get_user_model().objects.filter(email__iexact=options["by"], is_active=True).first()
        if user is None:
            raise CommandError(f"There is no active user {options['by']}.")
        errors: list[str] = []
        start = parse_date(options["start"], "start", errors)
        end = parse_date(options["end"], "end", errors)
        if errors:
            raise CommandError(" ".join(errors))
        try:
            period = Period.of(start, end)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        key = ExportKey.objects.filter(unit=unit, name=options["key"], retired_at__isnull=True).first()
        if key is None:
            raise CommandError(f"The unit has no active export key called “{options['key']}”.")
        if not options["recipient"].strip() or not options["purpose"].strip():
            raise CommandError("Give the recipient and the purpose of the export.")
        out = Path(options["out"])
        if out.exists():
            raise CommandError(f"{out} exists already: name a new file.")
        try:
            # The file is written inside the disclosure's transaction: no record without its file.
            with transaction.atomic():
                made = evaluation_export(
                    actor=user,
                    unit=unit,
                    period=period,
                    file_format=options["format"],
                    key=key,
                    identified=False,
                    purpose=options["purpose"],
                    recipient=options["recipient"],
                )
                out.write_bytes(made.content)
        except ExportRefused as refused:
            raise CommandError(str(refused)) from None
        except OSError as error:
            raise CommandError(f"{out} cannot be written ({error.strerror}); nothing was recorded.") from None
        self.stdout.write(f"{out}: {made.record.rows} rows, SHA-256 {made.record.sha256}")
