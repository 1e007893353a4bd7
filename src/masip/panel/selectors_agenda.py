"""Reads of the panel's agenda, always scoped by `visible_to`: the agenda as one member may see
it, one item's page (the case at a glance and what changed since the panel last discussed it),
and the requests to bring a case. Each page audits the case data it shows.

A member sees an item's content only if they may see its case and did not withdraw from it
(a declared interest); otherwise only its place and the word "restricted".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest

from masip.access.lookup import NOT_FOUND_MESSAGE, get_visible_or_404
from masip.access.policy import Capability
from masip.access.principal import principal_for
from masip.audit.models import AuditAction
from masip.audit.services import audit_listing, audit_record
from masip.cases.models import PRINCIPAL_ROLES, Case, CaseParticipant
from masip.interventions.models_legal import Order
from masip.panel.models import AgendaItem, AgendaRequest, ItemReason, ItemStatus, Meeting, MeetingMember, RequestStatus
from masip.panel.rules import may_chair, withdrawn_items
from masip.panel.services_agenda import agenda_slots
from masip.people.models import Person
from masip.risk.models import Assessment, AssessmentStatus, RiskEvent, RiskEventKind
from masip.timeline.models import BehaviourType, RedFlagAlert, TimelineEntry
from masip.timeline.selectors import LISTED_FIELDS

CASE_TYPE = Case._meta.label_lower
# The case fields an agenda row shows; the item page adds the team summary.
ROW_FIELDS = ["reference", "risk_level", "status"]
SUMMARY_FIELDS = [*ROW_FIELDS, "risk_assessed_on", "summary"]


def meeting_get_for(*, user: Any, meeting_id: Any, request: HttpRequest | None = None) -> Meeting:
    """A meeting the user may see (chair of its unit, or a member), or the audited 404."""
    meetings = Meeting.objects.visible_to(user).select_related("unit", "chair")
    return get_visible_or_404(meetings, meeting_id, user=user, request=request)


def _member(user: Any, meeting: Meeting) -> MeetingMember | None:
    if getattr(user, "pk", None) is None:
        return None
    return MeetingMember.objects.filter(meeting=meeting, user_id=user.pk).first()


def _withdrawn(user: Any, meeting: Meeting) -> set[Any]:
    member = _member(user, meeting)
    return withdrawn_items(member) if member is not None else set()


def reason_labels(reasons: list[str]) -> list[str]:
    return [str(ItemReason(r).label) if r in ItemReason.values else r for r in reasons]


@dataclass(frozen=True)
class AgendaRow:
    """One place on the agenda: `item` is None when the reader is not entitled to it."""

    position: int
    item_id: Any
    item: AgendaItem | None

    @property
    def restricted(self) -> bool:
        return self.item is None

    @property
    def reasons(self) -> list[str]:
        return reason_labels(self.item.reasons) if self.item is not None else []

    @property
    def withdrawn(self) -> bool:
        return self.item is not None and self.item.status == ItemStatus.WITHDRAWN


@dataclass(frozen=True)
class Agenda:
    meeting: Meeting
    rows: list[AgendaRow]
    may_chair: bool

    @property
    def entitled(self) -> int:
        return sum(1 for row in self.rows if not row.restricted)


def agenda_for(*, user: Any, meeting: Meeting, request: HttpRequest | None = None) -> Agenda:
    """The meeting's agenda in order as `user` may see it: each item whose case they may see
    and did not withdraw from, with its case's reference, risk and status; every other item by
    its place only. Five queries whatever the number of items; the cases shown are audited."""
    slots = agenda_slots(meeting)
    visible = {
        item.pk: item
        for item in AgendaItem.objects.visible_to(user)
        .filter(meeting=meeting)
        .select_related("case")
        .defer("case__summary", "case__closure_details")
    }
    withdrawn = _withdrawn(user, meeting)
    rows = [
        AgendaRow(position=position, item_id=pk, item=visible.get(pk) if pk not in withdrawn else None)
        for pk, position in slots
    ]
    audit_listing(
        actor=user,
        object_type=CASE_TYPE,
        ids=[row.item.case_id for row in rows if row.item is not None],
        unit=meeting.unit,
        fields=ROW_FIELDS,
        request=request,
    )
    return Agenda(meeting=meeting, rows=rows, may_chair=may_chair(user, meeting))


def item_slot_for(*, user: Any, meeting: Meeting, item_id: Any, request: HttpRequest | None = None) -> tuple[Any, int]:
    """(id, position) of an item of the meeting, whoever may see its case; otherwise the audited
    404 (an item of another meeting is not found here)."""
    for pk, position in agenda_slots(meeting):
        if str(pk) == str(item_id):
            return pk, position
    audit_record(
        action=AuditAction.DENIED,
        actor=user,
        request=request,
        object_type=AgendaItem._meta.label_lower,
        object_id=str(item_id)[:64],
        detail={"reason": "not found or not visible"},
    )
    raise Http404(NOT_FOUND_MESSAGE)


def chair_item_for(*, user: Any, meeting: Meeting, item_id: Any, request: HttpRequest | None = None) -> AgendaItem:
    """An item of the meeting the chair may see, for an edit; otherwise the audited 404."""
    items = AgendaItem.objects.visible_to(user).filter(meeting=meeting).select_related("meeting__unit", "case")
    return get_visible_or_404(items, item_id, user=user, request=request)


# The item page ---------------------------------------------------------------------------


@dataclass
class Changes:
    """What happened on the case since the panel last discussed it (or since it opened), as far
    as the reader may see."""

    since: datetime
    since_discussed: bool
    entries: list[TimelineEntry] = field(default_factory=list)
    assessments: list[Assessment] = field(default_factory=list)
    breaches: list[RiskEvent] = field(default_factory=list)
    order_breaches: list[TimelineEntry] = field(default_factory=list)
    red_flags: list[RedFlagAlert] = field(default_factory=list)

    @property
    def nothing(self) -> bool:
        return not (self.entries or self.assessments or self.breaches or self.order_breaches or self.red_flags)


@dataclass
class ItemPage:
    meeting: Meeting
    position: int
    item: AgendaItem | None
    case: Case | None = None
    participants: list[CaseParticipant] = field(default_factory=list)
    changes: Changes | None = None

    @property
    def entitled(self) -> bool:
        return self.item is not None

    @property
    def reasons(self) -> list[str]:
        return reason_labels(self.item.reasons) if self.item is not None else []


def last_discussed_at(case: Case, meeting: Meeting, user: Any) -> datetime | None:
    """When the panel last discussed the case before this meeting, if ever (as far as `user`
    may see the case's items: the page's reader may see the case)."""
    return (
        AgendaItem.objects.visible_to(user)
        .filter(case=case, status=ItemStatus.DISCUSSED, meeting__starts_at__lt=meeting.starts_at)
        .exclude(meeting=meeting)
        .exclude(discussed_at=None)
        .order_by("-discussed_at")
        .values_list("discussed_at", flat=True)
        .first()
    )


def _entries(user: Any, case: Case, since: datetime) -> QuerySet[TimelineEntry]:
    return (
        TimelineEntry.objects.visible_to(user)
        .filter(case=case, created_at__gte=since)
        .defer("location", "description")
        .prefetch_related(Prefetch("behaviours", queryset=BehaviourType.objects.order_by("position")))
        .order_by("occurred_on", "occurred_at", "created_at")
    )


def changes_for(*, user: Any, case: Case, meeting: Meeting, request: HttpRequest | None = None) -> Changes:
    """New timeline entries, completed risk assessments, breaches (risk events and order
    breaches on the timeline) and red flags recorded since the case was last discussed, each
    read with `visible_to(user)` so compartments hold. Every list shown is audited."""
    discussed = last_discussed_at(case, meeting, user)
    since = discussed or case.opened_at
    entries = list(_entries(user, case, since))
    orders = {
        order.pk: order
        for order in Order.objects.visible_to(user).filter(pk__in=[e.order_id for e in entries if e.order_id])
    }
    for entry in entries:
        entry.breached_order = orders.get(entry.order_id)  # type: ignore[attr-defined]
    assessments = list(
        Assessment.objects.visible_to(user)
        .filter(case=case, status=AssessmentStatus.COMPLETED, completed_at__gte=since)
        .select_related("instrument_version__instrument", "assessor")
        .defer("answers_json", "judgement_reason", "instrument_version__definition")
        .order_by("assessed_on", "completed_at")
    )
    breaches = list(
        RiskEvent.objects.visible_to(user)
        .filter(case=case, kind=RiskEventKind.BREACH, created_at__gte=since)
        .order_by("occurred_on", "created_at")
    )
    flags = list(
        RedFlagAlert.objects.visible_to(user)
        .filter(case=case, created_at__gte=since)
        .defer("explanation", "acknowledgement")
        .order_by("occurred_on", "created_at")
    )
    changes = Changes(
        since=since,
        since_discussed=discussed is not None,
        entries=entries,
        assessments=assessments,
        breaches=breaches,
        order_breaches=[e for e in entries if e.order_id or e.order_breached_id],
        red_flags=flags,
    )
    for object_type, ids, fields in (
        (TimelineEntry._meta.label_lower, [e.pk for e in entries], LISTED_FIELDS),
        (Assessment._meta.label_lower, [a.pk for a in assessments], ["assessed_on", "level", "score"]),
        (RiskEvent._meta.label_lower, [b.pk for b in breaches], ["kind", "occurred_on", "details"]),
        (RedFlagAlert._meta.label_lower, [f.pk for f in flags], ["title", "severity", "occurred_on", "status"]),
        (Order._meta.label_lower, list(orders), ["kind"]),
    ):
        audit_listing(
            actor=user,
            object_type=object_type,
            ids=ids,
            unit=case.unit,
            case_id=case.pk,
            fields=fields,
            request=request,
        )
    return changes


def item_page_for(*, user: Any, meeting: Meeting, item_id: Any, request: HttpRequest | None = None) -> ItemPage:
    """One item of the meeting for `user`: its place only when they are not entitled to it;
    otherwise the case at a glance (reference, status, risk and when assessed, the team summary,
    its victims and suspects by name) and what changed since it was last discussed. The case's
    reading is audited."""
    pk, position = item_slot_for(user=user, meeting=meeting, item_id=item_id, request=request)
    item = AgendaItem.objects.visible_to(user).filter(pk=pk).select_related("case__unit", "case__lead_agency").first()
    if item is None or pk in _withdrawn(user, meeting):
        return ItemPage(meeting=meeting, position=position, item=None)
    case = item.case
    audit_record(
        action=AuditAction.VIEW,
        actor=user,
        request=request,
        unit=case.unit,
        obj=case,
        case_id=case.pk,
        fields=SUMMARY_FIELDS,
    )
    participants = list(
        CaseParticipant.objects.visible_to(user)
        .filter(case=case, role__in=PRINCIPAL_ROLES)
        .select_related("person")
        .defer(*(f"person__{name}" for name in Person.CONTACT_FIELDS))
        .order_by("role", "person__family_name", "person__given_name")
    )
    return ItemPage(
        meeting=meeting,
        position=position,
        item=item,
        case=case,
        participants=participants,
        changes=changes_for(user=user, case=case, meeting=meeting, request=request),
    )


# Requests to bring a case ----------------------------------------------------------------


def open_requests_for(*, user: Any, request: HttpRequest | None = None) -> list[AgendaRequest]:
    """Open requests to bring a case, in the units where the user chairs the panel, oldest first.
    One query; the listing (with its reasons) is audited per unit."""
    units = principal_for(user).units_with(Capability.CHAIR_PANEL)
    requests = list(
        AgendaRequest.objects.visible_to(user)
        .filter(unit_id__in=units, status=RequestStatus.OPEN)
        .select_related("case", "unit", "created_by")
        .defer("case__summary", "case__closure_details")
        .order_by("created_at")
    )
    by_unit: dict[Any, list[AgendaRequest]] = {}
    for agenda_request in requests:
        by_unit.setdefault(agenda_request.unit, []).append(agenda_request)
    for unit, rows in by_unit.items():
        audit_listing(
            actor=user,
            object_type=AgendaRequest._meta.label_lower,
            ids=[r.pk for r in rows],
            unit=unit,
            fields=["case", "reason"],
            request=request,
        )
    return requests


def request_get_for_chair(*, user: Any, request_id: Any, request: HttpRequest | None = None) -> AgendaRequest:
    """A request of a unit where the user chairs the panel, its reading audited; otherwise the
    audited 404."""
    units = principal_for(user).units_with(Capability.CHAIR_PANEL)
    requests = (
        AgendaRequest.objects.visible_to(user)
        .filter(unit_id__in=units)
        .select_related("case", "unit", "created_by")
        .defer("case__summary", "case__closure_details")
    )
    agenda_request = get_visible_or_404(requests, request_id, user=user, request=request)
    audit_record(
        action=AuditAction.VIEW,
        actor=user,
        request=request,
        unit=agenda_request.unit,
        obj=agenda_request,
        case_id=agenda_request.case_id,
        fields=["case", "reason"],
    )
    return agenda_request
