"""Case-level evaluation data (issue 9): one row per case of a unit open at some time in a
period, pseudonymised, and the files handed over (CSV or Parquet, the data dictionary, a README,
in one ZIP).

Pure reads and file building: no HTTP, no audit, no permission check (services_exports decides
who may take what and records the disclosure). What a row holds is fixed by COLUMNS, which is
also the data dictionary: codes, counts, months and scores only; no name, no reference (unless
an identified export was allowed), no free text, no date finer than a month.

The figures are those of `reports.measures` for the same unit and period, case by case: the
incident rates come from `measures.incidents_per_month` itself, the intake level from
`measures.intake_level`, and the counts use the measures' filters grouped by case. A fixed
number of queries runs whatever the number of cases.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import io
import zipfile
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
from django.db.models import (
    Count,
    F,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from masip.accounts.models import AgencyKind
from masip.cases.models import (
    Case,
    CaseNote,
    CaseStatus,
    ClosureReason,
    NoteKind,
    ParticipantRole,
    RiskLevel,
)
from masip.core.text import csv_safe
from masip.interventions.models_legal import Order
from masip.interventions.models_perpetrator import InterventionKind, InterventionStatus, PerpetratorIntervention
from masip.interventions.models_safety import VictimMeasure
from masip.interventions.models_vcop import VcopUpdateDue, VcopUpdateStatus
from masip.referrals.models import Referral
from masip.reports import measures
from masip.reports.measures import FOLLOW_UP, WAS_GRANTED, _on_a_day_of, _within
from masip.reports.period import Period
from masip.timeline.models import RedFlagAlert, TimelineEntry

STRING, INTEGER, DECIMAL, BOOLEAN = "string", "integer", "decimal", "boolean"

ARROW_TYPES = {STRING: pa.string(), INTEGER: pa.int64(), DECIMAL: pa.float64(), BOOLEAN: pa.bool_()}

PSEUDONYM_PREFIX = "C-"
PSEUDONYM_LENGTH = 12  # base32 characters: 60 bits


def _codes(choices: Sequence[tuple[str, Any]]) -> str:
    return "; ".join(f"{value} ({label})" for value, label in choices)


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # STRING, INTEGER, DECIMAL or BOOLEAN
    meaning: str
    allowed: str
    computed: str


_IN_PERIOD = "in the period (whole UK days, both ends included)"
_SCORE = "0 to 10; empty when the case has no victim measure up to the period's last day"

COLUMNS: tuple[Column, ...] = (
    Column(
        "case",
        STRING,
        "The case, pseudonymised (or its masip reference in an identified export).",
        "C- followed by 12 letters A-Z and digits 2-7",
        "HMAC-SHA256 of “case:<case id>” under the export key's secret, base32, first 12 characters. "
        "The same key always gives a case the same pseudonym; another key gives an unrelated one.",
    ),
    Column("opened_month", STRING, "Month the case was opened.", "YYYY-MM", "UK month of the case's opening."),
    Column(
        "closed_month",
        STRING,
        "Month the case was closed.",
        "YYYY-MM; empty while open",
        "UK month of the case's latest closure, as the case stands when the export is made.",
    ),
    Column(
        "source_agency_kind",
        STRING,
        "Kind of agency that made the case's first referral.",
        _codes(AgencyKind.choices) + "; empty for a case opened without a referral",
        "Kind of the source agency of the earliest-received referral linked to the case.",
    ),
    Column(
        "days_to_decision",
        INTEGER,
        "Days from the first referral to its triage decision.",
        "0 or more; empty without a decided referral",
        "UK day of the decision minus UK day the referral was received (as the dashboard's time to decision).",
    ),
    Column(
        "days_to_first_victim_contact",
        INTEGER,
        "Days from referral to the first contact with the victim.",
        "0 or more; empty when the victim has not been contacted",
        "UK day of the earliest contact record with a victim participant minus UK day the earliest linked "
        "referral was received (the case's opening when it has none), as the dashboard's time to first contact.",
    ),
    Column(
        "intake_risk",
        STRING,
        "Risk level at intake.",
        _codes(RiskLevel.choices),
        "Final level of the case's first completed risk assessment (earliest date); not_assessed when none.",
    ),
    Column(
        "closing_risk",
        STRING,
        "Risk level at closure, or the current level while the case is open.",
        _codes(RiskLevel.choices),
        "The level recorded when the case was closed; the case's current level if it is open.",
    ),
    Column(
        "closure_reason",
        STRING,
        "Why the case was closed.",
        _codes(ClosureReason.choices) + "; empty while open",
        "The reason recorded at the case's latest closure.",
    ),
    Column(
        "incidents_per_30_days_before",
        DECIMAL,
        "Incidents per 30 days in the 180 days before acceptance.",
        "0 or more, two decimals",
        "Timeline incidents on the 180 days before the UK day the case opened, divided by 180, times 30 "
        "(as the dashboard's incidents per month).",
    ),
    Column(
        "incidents_per_30_days_after",
        DECIMAL,
        "Incidents per 30 days after acceptance.",
        "0 or more, two decimals",
        "Timeline incidents from the day the case opened, over at most 180 days, stopping at its closure or "
        "the period's last day, divided by those days, times 30.",
    ),
    Column(
        "days_after",
        INTEGER,
        "Days the “after” rate is counted over.",
        "1 to 180",
        "From the day the case opened to the earliest of 179 days later, its closure day and the period's last day.",
    ),
    Column("red_flags_raised", INTEGER, f"Red flags raised {_IN_PERIOD}.", "0 or more", "Alerts first found."),
    Column(
        "orders_applied",
        INTEGER,
        f"Orders entered in the case's orders register {_IN_PERIOD}.",
        "0 or more",
        "Orders recorded in the period.",
    ),
    Column(
        "orders_granted",
        INTEGER,
        f"Orders granted that start {_IN_PERIOD}.",
        "0 or more",
        "Orders granted, in force, expired or discharged whose start day is in the period.",
    ),
    Column(
        "breaches",
        INTEGER,
        f"Breaches of orders {_IN_PERIOD}.",
        "0 or more",
        "Timeline entries linked to an order or an SPO process that happened in the period.",
    ),
    Column(
        "vcop_updates_due",
        INTEGER,
        f"Victims' Code updates due {_IN_PERIOD}.",
        "0 or more",
        "Event and regular updates due in the period, withdrawn ones left out.",
    ),
    Column(
        "vcop_updates_on_time",
        INTEGER,
        "Of those, updates given on time.",
        "0 or more",
        "Sent on or before the UK day they were due.",
    ),
    Column(
        "interventions_started",
        INTEGER,
        f"Perpetrator interventions started {_IN_PERIOD}.",
        "0 or more",
        "Every kind of intervention, by start day.",
    ),
    Column(
        "interventions_completed",
        INTEGER,
        f"Perpetrator interventions completed {_IN_PERIOD}.",
        "0 or more",
        "Status completed, by end day.",
    ),
    Column(
        "treatment_completed",
        BOOLEAN,
        "Whether a perpetrator treatment programme was completed.",
        "true; false; empty when no treatment programme ended by the period's last day",
        "Over the case's treatment programmes that ended on or before the period's last day: true if any "
        "was completed, false if all ended otherwise (withdrawn, stopped).",
    ),
    Column(
        "re_referred_within_12_months",
        BOOLEAN,
        "Whether the unit heard of the case's people again within a year of closure.",
        "true; false; empty while open or before the year after closure is over",
        "A referral received by the unit within 365 days after closure names the case's victim, perpetrator "
        "or suspect, or a later case is marked a repeat of it (as the dashboard's re-referral measure).",
    ),
    Column(
        "victim_safety_first",
        INTEGER,
        "Victim's feeling of safety at the first measure.",
        _SCORE,
        "Victim measures of the case up to the period's last day, earliest date first.",
    ),
    Column(
        "victim_safety_last",
        INTEGER,
        "Victim's feeling of safety at the latest measure.",
        _SCORE,
        "The latest of those measures (the same as the first when there is one).",
    ),
    Column(
        "victim_wellbeing_first",
        INTEGER,
        "Victim's wellbeing at the first measure.",
        _SCORE,
        "As victim_safety_first.",
    ),
    Column(
        "victim_wellbeing_last",
        INTEGER,
        "Victim's wellbeing at the latest measure.",
        _SCORE,
        "As victim_safety_last.",
    ),
)

COLUMN_NAMES = tuple(column.name for column in COLUMNS)

Row = dict[str, Any]


def pseudonym(secret: str, case_id: object) -> str:
    """The case's pseudonym under one key: stable for that key, unlinkable across keys."""
    digest = hmac.new(secret.encode(), f"case:{case_id}".encode(), hashlib.sha256).digest()
    return PSEUDONYM_PREFIX + base64.b32encode(digest).decode()[:PSEUDONYM_LENGTH]


def _month(moment: datetime | None) -> str | None:
    return None if moment is None else f"{timezone.localtime(moment):%Y-%m}"


def _by_case(queryset: Any, **counts: Any) -> dict[Any, dict[str, int]]:
    rows = queryset.order_by().values("case_id").annotate(**counts)
    return {row["case_id"]: row for row in rows}


def cases_exported(*, unit_id: int, period: Period) -> QuerySet[Case]:
    """The cases an export of the unit over the period holds: open at some time in the period
    (opened before its end, not closed before its start)."""
    return Case.unscoped.filter(unit_id=unit_id, opened_at__lt=period.ends_before).exclude(
        closed_at__lt=period.starts_at
    )


def case_rows(*, unit_id: int, period: Period, secret: str | None) -> list[Row]:
    """One row per case of the unit open at some time in the period (opened before its end, not
    closed before its start), oldest first, keyed by COLUMN_NAMES. With `secret` the case is
    pseudonymised; without (an identified export), it is the case's reference."""
    unit_ids = [unit_id]
    first_referral = Referral.unscoped.filter(case_id=OuterRef("pk"), received_at__isnull=False).order_by(
        "received_at", "pk"
    )
    first_contact = (
        CaseNote.unscoped.filter(
            case_id=OuterRef("pk"), kind=NoteKind.CONTACT, contact_with__role=ParticipantRole.VICTIM
        )
        .order_by()
        .values("case_id")
        .annotate(first=Min("contact_at"))
        .values("first")
    )
    open_in_period = cases_exported(unit_id=unit_id, period=period)
    cases = list(
        open_in_period.annotate(
            agency_kind=Subquery(first_referral.values("source_agency__kind")[:1]),
            first_received=Subquery(first_referral.values("received_at")[:1]),
            first_decided=Subquery(first_referral.values("decided_at")[:1]),
            first_contact=Subquery(first_contact),
            referred=Coalesce(Subquery(first_referral.values("received_at")[:1]), F("opened_at")),
            intake=Coalesce(measures.intake_level("pk"), Value(RiskLevel.NOT_ASSESSED.value)),
        )
        .order_by("opened_at", "reference")
        .values(
            "id",
            "reference",
            "status",
            "opened_at",
            "closed_at",
            "risk_level",
            "risk_at_closure",
            "closure_reason",
            "agency_kind",
            "first_received",
            "first_decided",
            "first_contact",
            "referred",
            "intake",
        )
    )
    if not cases:
        return []
    ids = [case["id"] for case in cases]
    again = measures.referred_again(open_in_period.filter(status=CaseStatus.CLOSED))
    rates = {rate.case_id: rate for rate in measures.incidents_per_month(unit_ids=unit_ids, period=period).cases}
    flags = _by_case(
        RedFlagAlert.unscoped.filter(
            case_id__in=ids, created_at__gte=period.starts_at, created_at__lt=period.ends_before
        ),
        raised=Count("id"),
    )
    orders = _by_case(
        Order.unscoped.filter(case_id__in=ids),
        applied=Count("id", filter=_within("created_at", period)),
        granted=Count("id", filter=_on_a_day_of("starts_on", period) & Q(status__in=WAS_GRANTED)),
    )
    breaches = _by_case(
        TimelineEntry.unscoped.filter(_on_a_day_of("occurred_on", period), case_id__in=ids).filter(
            Q(order__isnull=False) | Q(order_breached__isnull=False)
        ),
        breaches=Count("id"),
    )
    sent = Q(status=VcopUpdateStatus.SENT)
    vcop = _by_case(
        VcopUpdateDue.unscoped.filter(_on_a_day_of("due_on", period), case_id__in=ids).exclude(
            status=VcopUpdateStatus.WITHDRAWN
        ),
        due=Count("id"),
        on_time=Count("id", filter=sent & Q(sent_at__date__lte=F("due_on"))),
    )
    programme = Q(kind=InterventionKind.TREATMENT_PROGRAMME, ended_on__lte=period.end)
    completed = Q(status=InterventionStatus.COMPLETED)
    interventions = _by_case(
        PerpetratorIntervention.unscoped.filter(case_id__in=ids),
        started=Count("id", filter=_on_a_day_of("started_on", period)),
        completed=Count("id", filter=_on_a_day_of("ended_on", period) & completed),
        programmes_ended=Count("id", filter=programme),
        programmes_completed=Count("id", filter=programme & completed),
    )
    scores: dict[Any, list[tuple[int, int]]] = {}
    for case_id, safety, wellbeing in (
        VictimMeasure.unscoped.filter(case_id__in=ids, measured_on__lte=period.end)
        .order_by("measured_on", "created_at")
        .values_list("case_id", "safety", "wellbeing")
    ):
        scores.setdefault(case_id, []).append((safety, wellbeing))

    now = timezone.now()
    rows = []
    for case in cases:
        case_id = case["id"]
        rate = rates[str(case_id)]
        closed = case["status"] == CaseStatus.CLOSED
        first_received, first_decided = case["first_received"], case["first_decided"]
        contact = case["first_contact"]
        counts = interventions.get(case_id, {})
        measured = scores.get(case_id, [])
        row: Row = {
            "case": pseudonym(secret, case_id) if secret is not None else case["reference"],
            "opened_month": _month(case["opened_at"]),
            "closed_month": _month(case["closed_at"]) if closed else None,
            "source_agency_kind": case["agency_kind"],
            "days_to_decision": _days_between(first_received, first_decided),
            "days_to_first_victim_contact": _days_between(case["referred"], contact),
            "intake_risk": case["intake"],
            "closing_risk": (case["risk_at_closure"] or RiskLevel.NOT_ASSESSED.value) if closed else case["risk_level"],
            "closure_reason": (case["closure_reason"] or None) if closed else None,
            "incidents_per_30_days_before": rate.before,
            "incidents_per_30_days_after": rate.after,
            "days_after": rate.days_after,
            "red_flags_raised": flags.get(case_id, {}).get("raised", 0),
            "orders_applied": orders.get(case_id, {}).get("applied", 0),
            "orders_granted": orders.get(case_id, {}).get("granted", 0),
            "breaches": breaches.get(case_id, {}).get("breaches", 0),
            "vcop_updates_due": vcop.get(case_id, {}).get("due", 0),
            "vcop_updates_on_time": vcop.get(case_id, {}).get("on_time", 0),
            "interventions_started": counts.get("started", 0),
            "interventions_completed": counts.get("completed", 0),
            "treatment_completed": (counts["programmes_completed"] > 0) if counts.get("programmes_ended") else None,
            "re_referred_within_12_months": again.get(case_id, False)
            if closed and case["closed_at"] + FOLLOW_UP <= now
            else None,
            "victim_safety_first": measured[0][0] if measured else None,
            "victim_safety_last": measured[-1][0] if measured else None,
            "victim_wellbeing_first": measured[0][1] if measured else None,
            "victim_wellbeing_last": measured[-1][1] if measured else None,
        }
        rows.append(row)
    return rows


def _days_between(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return (timezone.localdate(end) - timezone.localdate(start)).days


# --- files ---------------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return csv_safe(str(value))


def _csv(header: Sequence[str], rows: Collection[Sequence[Any]]) -> bytes:
    """UTF-8 CSV (no byte-order mark, so data tools read the first column's name as written),
    every text cell through `csv_safe`."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    return text.getvalue().encode()


def cases_csv(rows: list[Row]) -> bytes:
    return _csv(COLUMN_NAMES, [[row[name] for name in COLUMN_NAMES] for row in rows])


def arrow_schema() -> pa.Schema:
    return pa.schema([pa.field(column.name, ARROW_TYPES[column.type], nullable=True) for column in COLUMNS])


def cases_parquet(rows: list[Row]) -> bytes:
    schema = arrow_schema()
    table = pa.Table.from_pylist(rows, schema=schema) if rows else schema.empty_table()
    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue()


def data_dictionary_csv() -> bytes:
    return _csv(
        ("column", "type", "meaning", "allowed_values", "how_computed"),
        [(c.name, c.type, c.meaning, c.allowed, c.computed) for c in COLUMNS],
    )


@dataclass(frozen=True)
class ExportFacts:
    unit_name: str
    period: Period
    purpose: str
    recipient: str
    key_name: str  # empty for an identified export
    generated_at: datetime
    rows: int
    file_format: str
    identified: bool


def readme(facts: ExportFacts) -> bytes:
    period = facts.period
    cases_file = f"cases.{facts.file_format}"
    if facts.identified:
        who = (
            "IDENTIFIED: the column “case” holds masip case references. Handle this file as case data of the "
            "unit (official-sensitive); do not pass it on."
        )
    else:
        who = (
            f"Pseudonymised with the export key “{facts.key_name}”: the column “case” holds a pseudonym that "
            "stays the same in every export made with that key and cannot be linked to the pseudonyms of "
            "another key."
        )
    lines = [
        "masip evaluation export",
        "",
        f"Unit: {facts.unit_name}",
        f"Period: {period.start:%d/%m/%Y} to {period.end:%d/%m/%Y} (both days included, UK time)",
        f"Purpose: {facts.purpose}",
        f"Recipient: {facts.recipient}",
        f"Key: {facts.key_name or '(none: identified export)'}",
        f"Generated at: {timezone.localtime(facts.generated_at):%d/%m/%Y %H:%M} (UK time)",
        f"Rows: {facts.rows}",
        "",
        f"{cases_file}: one row per case of the unit open at some time in the period (opened before its "
        "end and not closed before its start).",
        "data_dictionary.csv: every column of the cases file, in order: its type, meaning, allowed values "
        "and how it is computed.",
        "",
        "Rules:",
        f"- {who}",
        "- No names, addresses, references of people or free text: codes, counts, scores and months only.",
        "- Dates are coarsened to the month (YYYY-MM); day counts are whole UK days.",
        "- Counts are of the period unless the data dictionary says otherwise.",
        "- This export is recorded in masip as a disclosure, with its purpose, recipient and SHA-256 digest.",
        "",
    ]
    return "\n".join(lines).encode()


def export_zip(rows: list[Row], facts: ExportFacts) -> bytes:
    """The ZIP handed over: the cases file, the data dictionary and the README."""
    cases = cases_parquet(rows) if facts.file_format == "parquet" else cases_csv(rows)
    stamp = timezone.localtime(facts.generated_at).timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in (
            (f"cases.{facts.file_format}", cases),
            ("data_dictionary.csv", data_dictionary_csv()),
            ("README.txt", readme(facts)),
        ):
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return out.getvalue()
