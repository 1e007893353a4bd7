"""`manage.py quarterly_report --unit CODE --quarter 2025Q1 --output FILE.pdf`: a unit's quarterly
report as a PDF, for an operator (e.g. to send to a commissioner every quarter). The same report
as the reports pages make, audited as an export with no actor (the server made it)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from masip.accounts.models import Unit
from masip.core.pdf import PdfUnavailable
from masip.reports.quarterly import Quarter, quarterly_pdf_for


class Command(BaseCommand):
    help = "Write a unit's quarterly report (counts only) as a PDF."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--unit", required=True, help="The unit's code, e.g. CHS.")
        parser.add_argument("--quarter", required=True, help="The calendar quarter, e.g. 2025Q1 (January to March).")
        parser.add_argument("--output", required=True, help="The PDF file to write.")

    def handle(self, *args: Any, **options: Any) -> None:
        unit = Unit.objects.filter(code__iexact=options["unit"]).first()
        if unit is None:
            known = ", ".join(Unit.objects.order_by("code").values_list("code", flat=True)) or "none"
            raise CommandError(f"No unit has the code {options['unit']!r}: the codes are {known}.")
        try:
            quarter = Quarter.parse(options["quarter"])
            quarter.period()
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        output = Path(options["output"])
        if not output.parent.is_dir():
            raise CommandError(f"The folder {output.parent} does not exist: choose a file in an existing folder.")
        try:
            report, pdf = quarterly_pdf_for(user=None, unit=unit, quarter=quarter)
        except PdfUnavailable as missing:
            raise CommandError(f"WeasyPrint cannot make PDFs here (install Pango): {missing}") from missing
        # Written next to the target then moved over it: never a half-written report.
        handle, temporary = tempfile.mkstemp(dir=output.parent, suffix=".part")
        with os.fdopen(handle, "wb") as file:
            file.write(pdf)
        os.replace(temporary, output)
        self.stdout.write(f"{unit.name}, {report.title}: {len(pdf)} bytes written to {output}.")
