"""The unit's quarterly report (issue 9): a calendar quarter's figures as a PDF, counts only.

A quarter is a calendar quarter (Q1 January to March, Q2 April to June, Q3 July to September,
Q4 October to December). A quarter that has not started is refused; the current quarter is
reported to date (its period ends today). The figures are the dashboard's measures
(`selectors.dashboard_figures`) over the quarter, the previous quarter's main counts beside
them. No case, person or reference is read into the report.

The PDF is rendered by WeasyPrint from `reports/quarterly/report_pdf.html` as the panel's
minutes are: the template carries its own CSS and fonts are the system's, the charts are inline
SVG, and the URL fetcher refuses everything, so nothing reaches the network or the file system.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone

from masip.accounts.models import Unit
from masip.audit.models import AuditAction
from masip.audit.services import audit_record
from masip.core.pdf import PdfUnavailable, render_pdf
from masip.reports.period import Period
from masip.reports.selectors import Dashboard, dashboard_figures

__all__ = ["PdfUnavailable", "Quarter", "QuarterlyReport", "quarterly_pdf", "quarterly_pdf_for", "quarterly_report"]

MONTHS = {1: "January to March", 2: "April to June", 3: "July to September", 4: "October to December"}
_QUARTER_TEXT = re.compile(r"^\s*(\d{4})\s*-?\s*Q([1-4])\s*$", re.IGNORECASE)


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int  # 1 to 4

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """A quarter written as 2025Q1 (2025-Q1 and 2025 q1 also read), else ValidationError."""
        match = _QUARTER_TEXT.match(text or "")
        if not match:
            raise ValidationError(
                f"“{(text or '')[:20]}” is not a quarter: write the year then Q and the quarter's number, "
                "for example 2025Q1 for January to March 2025.",
                code="invalid_quarter",
            )
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def start(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> date:
        following = self.next
        return date(following.year, 3 * following.number - 2, 1) - timedelta(days=1)

    @property
    def next(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)

    @property
    def previous(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)

    @property
    def code(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def label(self) -> str:
        return f"Q{self.number} {self.year} ({MONTHS[self.number]} {self.year})"

    def period(self, today: date | None = None) -> Period:
        """The quarter's days; the current quarter's end at today. A quarter that has not started
        is refused with the latest one that may be asked for."""
        today = today or timezone.localdate()
        if self.start > today:
            current = Quarter.of(today)
            raise ValidationError(
                f"Q{self.number} {self.year} has not started yet: choose a quarter up to "
                f"Q{current.number} {current.year} (the current quarter, reported to date).",
                code="future_quarter",
            )
        return Period(self.start, min(self.end, today))


@dataclass(frozen=True)
class Comparison:
    label: str
    this_quarter: int
    previous_quarter: int


@dataclass(frozen=True)
class QuarterlyReport:
    unit: Unit
    quarter: Quarter
    period: Period
    to_date: bool  # the current quarter, its period ending today
    generated_at: datetime
    figures: Dashboard
    previous: Dashboard

    @property
    def title(self) -> str:
        return f"Q{self.quarter.number} {self.quarter.year}{' to date' if self.to_date else ''}"

    @property
    def comparisons(self) -> tuple[Comparison, ...]:
        """The main counts of this quarter and the one before, side by side."""

        def main(report: Dashboard) -> list[tuple[str, int]]:
            accepted = sum(row.count for row in report.decisions if row.key == "accepted")
            return [
                ("Referrals received", report.referrals_received),
                ("Decisions made", report.decided),
                ("Accepted for unit risk management", accepted),
                ("Open cases at the end of the quarter", sum(row.count for row in report.open_caseload_by_risk)),
                ("Cases closed", sum(row.count for row in report.closures_by_reason)),
                ("Red flags raised", _count(report.red_flags, "raised")),
                ("Orders applied for", _count(report.orders, "applied")),
                ("Breaches of orders", _count(report.orders, "breached")),
                ("Interventions started", _count(report.interventions, "started")),
                ("Victims measured at least twice", report.victim_change.measured_twice),
            ]

        return tuple(
            Comparison(label, now, before)
            for (label, now), (_label, before) in zip(main(self.figures), main(self.previous), strict=True)
        )

    @property
    def is_empty(self) -> bool:
        return self.figures.is_empty and not any(row.this_quarter for row in self.comparisons)


def _count(rows: tuple[Any, ...], key: str) -> int:
    return sum(row.count for row in rows if row.key == key)


def quarterly_report(*, unit: Unit, quarter: Quarter, today: date | None = None) -> QuarterlyReport:
    """The report's figures, not audited (the callers audit). ValidationError for a quarter that
    has not started."""
    today = today or timezone.localdate()
    period = quarter.period(today)
    before = quarter.previous
    return QuarterlyReport(
        unit=unit,
        quarter=quarter,
        period=period,
        to_date=period.end < quarter.end,
        generated_at=timezone.now(),
        figures=dashboard_figures(unit=unit, period=period),
        previous=dashboard_figures(unit=unit, period=before.period(today)),
    )


def quarterly_pdf_for(
    *, user: Any, unit: Unit, quarter: Quarter, request: HttpRequest | None = None, today: date | None = None
) -> tuple[QuarterlyReport, bytes]:
    """The report and its PDF, for a reader the caller has allowed to read the unit's aggregates
    (`user` None: the server, from the command). Once the PDF is made, its making is audited as
    an export (a document leaves the system) with the quarter and the period only. Raises
    ValidationError for a quarter that has not started, PdfUnavailable without WeasyPrint (then
    nothing is audited)."""
    report = quarterly_report(unit=unit, quarter=quarter, today=today)
    pdf = quarterly_pdf(report)
    audit_record(
        action=AuditAction.EXPORT,
        actor=user,
        request=request,
        unit=unit,
        object_type="reports.quarterly",
        object_id=unit.pk,
        detail={
            "event": "quarterly_report",
            "quarter": quarter.code,
            "start": report.period.start.isoformat(),
            "end": report.period.end.isoformat(),
        },
    )
    return report, pdf


def quarterly_pdf(report: QuarterlyReport) -> bytes:
    """The report as an A4 PDF. Raises PdfUnavailable when WeasyPrint cannot run on this server."""
    return render_pdf("reports/quarterly/report_pdf.html", {"report": report})


def pdf_filename(report: QuarterlyReport) -> str:
    return f"quarterly-report-{report.unit.code}-{report.quarter.code}{'-to-date' if report.to_date else ''}.pdf"
