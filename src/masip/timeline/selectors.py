"""Reads of a case's timeline entries that the pages share, scoped with visible_to (case and
compartment); showing entries is audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest

from masip.access.lookup import get_visible_or_404
from masip.access.policy import Action
from masip.audit.models import AuditAction
from masip.audit.services import audit_listing, audit_record
from masip.cases.models import Case, ParallelProcess
from masip.evidence.models import EvidenceItem
from masip.timeline.models import BehaviourType, TimelineEntry, TimelineImport
from masip.timeline.taxonomy import taxonomy

LISTED_FIELDS = [
    "behaviours",
    "compartment",
    "evidence",
    "incidents",
    "occurred_at",
    "occurred_on",
    "occurred_until",
    "order_breached",
    "reported_by",
    "reported_on",
]
DETAIL_FIELDS = [*LISTED_FIELDS, "description", "location"]


@dataclass(frozen=True)
class EntryFilter:
    group: str = ""
    behaviour: str = ""
    date_from: date | None = None
    date_to: date | None = None
    compartment: str = ""


def behaviours_offered() -> list[BehaviourType]:
    """The behaviours a person may choose now, in the taxonomy's order."""
    return list(BehaviourType.objects.filter(active=True).order_by("position"))


def behaviour_choices_grouped(*, keep: set[str] | None = None) -> list[tuple[str, list[tuple[str, str]]]]:
    """(group label, [(code, label)]) in the taxonomy's order, for checkboxes or an optgroup select.
    `keep`: inactive codes an entry already names (shown so that editing does not drop them)."""
    groups = taxonomy().groups
    rows = BehaviourType.objects.filter(Q(active=True) | Q(code__in=keep or ())).order_by("position")
    grouped: dict[str, list[tuple[str, str]]] = {}
    for behaviour in rows:
        grouped.setdefault(behaviour.group, []).append((behaviour.code, behaviour.label))
    return [(groups.get(group, group), choices) for group, choices in grouped.items()]


def _entries(user: Any, case: Case) -> QuerySet[TimelineEntry]:
    return (
        TimelineEntry.objects.visible_to(user, Action.VIEW)
        .filter(case=case)
        .select_related("order_breached", "created_by")
        .prefetch_related(
            Prefetch("behaviours", queryset=BehaviourType.objects.order_by("position")),
            Prefetch(
                "evidence",
                queryset=EvidenceItem.objects.visible_to(user, Action.VIEW).only("pk", "exhibit_ref", "case_id"),
            ),
        )
    )


def timeline_entries_for(*, user: Any, case: Case, filters: EntryFilter | None = None) -> QuerySet[TimelineEntry]:
    """The case's entries the user may read, oldest first, narrowed by `filters`; the page
    lists them (encrypted text is not loaded)."""
    entries = _entries(user, case).defer("location", "description")
    f = filters or EntryFilter()
    if f.behaviour:
        entries = entries.filter(
            pk__in=TimelineEntry.behaviours.through.objects.filter(behaviourtype__code=f.behaviour).values(
                "timelineentry_id"
            )
        )
    elif f.group:
        entries = entries.filter(
            pk__in=TimelineEntry.behaviours.through.objects.filter(behaviourtype__group=f.group).values(
                "timelineentry_id"
            )
        )
    if f.date_from is not None:
        # A range that runs into the period counts, not only one that starts in it.
        entries = entries.filter(Q(occurred_on__gte=f.date_from) | Q(occurred_until__gte=f.date_from))
    if f.date_to is not None:
        entries = entries.filter(occurred_on__lte=f.date_to)
    if f.compartment:
        entries = entries.filter(compartment=f.compartment)
    return entries.order_by("occurred_on", "occurred_at", "created_at")


def timeline_entries_audit(
    *, user: Any, case: Case, entries: list[TimelineEntry], request: HttpRequest | None = None
) -> None:
    """Showing a page of entries is one consultation, naming the entries shown."""
    audit_listing(
        actor=user,
        object_type=TimelineEntry._meta.label_lower,
        ids=(entry.pk for entry in entries),
        unit=case.unit,
        case_id=case.pk,
        fields=LISTED_FIELDS,
        request=request,
    )


def timeline_entry_get_for(
    *, user: Any, case: Case, entry_id: Any, request: HttpRequest | None = None, audit: bool = True
) -> TimelineEntry:
    """One entry of `case` in a compartment the user may read; another case's, a missing or a
    malformed id is the same audited 404. Reading it (with its text) is audited."""
    entry = get_visible_or_404(_entries(user, case).select_related("updated_by"), entry_id, user=user, request=request)
    entry.case = case
    if audit:
        audit_record(
            action=AuditAction.VIEW,
            actor=user,
            request=request,
            unit=case.unit,
            obj=entry,
            case_id=case.pk,
            fields=DETAIL_FIELDS,
        )
    return entry


def timeline_evidence_choices(*, user: Any, case: Case) -> list[EvidenceItem]:
    """The case's exhibits the user may see, to link to an entry."""
    return list(EvidenceItem.objects.visible_to(user, Action.VIEW).filter(case=case).only("pk", "exhibit_ref", "kind"))


def timeline_order_choices(*, user: Any, case: Case) -> list[ParallelProcess]:
    """The case's orders and processes, to name the one breached."""
    return list(ParallelProcess.objects.visible_to(user, Action.VIEW).filter(case=case))


def timeline_import_get_for(
    *, user: Any, case: Case, log_id: Any, request: HttpRequest | None = None
) -> TimelineImport:
    """One incident-log import of `case` the user may see (its compartment), else the audited 404."""
    uploads = TimelineImport.objects.visible_to(user, Action.VIEW).filter(case=case).select_related("created_by")
    upload = get_visible_or_404(uploads, log_id, user=user, request=request)
    upload.case = case
    return upload


def timeline_import_view_audit(*, user: Any, upload: TimelineImport, request: HttpRequest | None = None) -> None:
    audit_record(
        action=AuditAction.VIEW,
        actor=user,
        request=request,
        unit=upload.case.unit,
        obj=upload,
        case_id=upload.case_id,
        fields=["file_name", "report"],
    )
