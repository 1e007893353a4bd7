"""Writes of the panel's agenda: building it from the unit's open cases, the chair's edits (add a
case, move, take off), and members' requests to bring a case.

The agenda is the chair's: a rebuild only adds cases and reasons, it never removes an item the
chair placed or withdrew, nor moves one. Positions stay 1..n (withdrawn items keep theirs, struck
through on the page). Every agenda edit takes the meeting's row lock, so two edits queue and
positions never collide.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.http import HttpRequest
from django.utils import timezone

from masip.access.decorators import require_case_action
from masip.access.policy import Action, Capability, Compartment
from masip.access.principal import principal_for
from masip.audit.models import AuditAction
from masip.audit.services import audit_record
from masip.cases.models import Case, CaseStatus
from masip.core.models import StaleEditError
from masip.panel.models import (
    AgendaItem,
    AgendaRequest,
    ItemReason,
    ItemStatus,
    Meeting,
    MeetingStatus,
    RequestStatus,
)
from masip.panel.rules import ensure_editable, may_chair
from masip.timeline.models import RedFlagAlert
from masip.work.models import Task, TaskKind, TaskStatus

# With no earlier meeting of the unit, "since the last meeting" means the last four weeks.
FIRST_MEETING_LOOKBACK = timedelta(days=28)
REASON_MAX_LENGTH = 2_000
DECLINE_MAX_LENGTH = 200

# The strongest reason first: new items are appended in this order, and an item's reasons are
# kept in it.
REASON_STRENGTH: tuple[str, ...] = (
    ItemReason.RED_FLAG,
    ItemReason.PANEL_REVIEW,
    ItemReason.REVIEW_DUE,
    ItemReason.MEMBER_REQUEST,
    ItemReason.NEW_REFERRAL,
    ItemReason.ADDED_BY_CHAIR,
)


def _strength(reason: str) -> int:
    return REASON_STRENGTH.index(reason) if reason in REASON_STRENGTH else len(REASON_STRENGTH)


def _ordered(reasons: set[str] | list[str]) -> list[str]:
    return sorted(set(reasons), key=_strength)


# Who may do what ----------------------------------------------------------------------------


def _require_chair(actor: Any, meeting: Meeting) -> None:
    if not may_chair(actor, meeting):
        raise PermissionDenied("Only the unit's panel chair can change the agenda.")


def ensure_agenda_editable(meeting: Meeting) -> None:
    """Refuse a change to the agenda of a cancelled meeting or of one whose minutes are locked."""
    if meeting.status == MeetingStatus.CANCELLED:
        raise ValidationError(
            "This meeting was cancelled, so its agenda cannot change. Add the case to the unit's next meeting instead.",
            code="cancelled",
        )
    ensure_editable(meeting)


def _locked_meeting(meeting: Meeting) -> Meeting:
    """The meeting's row, locked until the transaction ends: agenda edits queue on it."""
    return Meeting.objects.select_related("unit").select_for_update(of=("self",)).get(pk=meeting.pk)


# What the agenda is built from ---------------------------------------------------------------


def previous_meeting(meeting: Meeting) -> Meeting | None:
    """The unit's latest meeting, not cancelled, that started before this one."""
    return (
        Meeting.objects.filter(unit_id=meeting.unit_id, starts_at__lt=meeting.starts_at)
        .exclude(status=MeetingStatus.CANCELLED)
        .exclude(pk=meeting.pk)
        .order_by("-starts_at")
        .first()
    )


def agenda_since(meeting: Meeting) -> datetime:
    """When "since the last meeting" starts: the previous meeting's start, or four weeks back."""
    previous = previous_meeting(meeting)
    return previous.starts_at if previous is not None else meeting.starts_at - FIRST_MEETING_LOOKBACK


@dataclass
class Candidates:
    """The open cases of the unit that should be on an agenda, with why, and the open requests
    that asked for them (by case)."""

    reasons: dict[Any, set[str]] = field(default_factory=dict)
    requests: dict[Any, list[Any]] = field(default_factory=dict)

    def add(self, case_id: Any, reason: str) -> None:
        self.reasons.setdefault(case_id, set()).add(reason)


def agenda_candidates(meeting: Meeting) -> Candidates:
    """Each open case of the meeting's unit due on its agenda, with every reason that applies:
    opened since the previous meeting (a newly accepted referral); a red flag raised for the
    panel since then; an open review task due by the meeting day; a panel review date, set when
    the case was last discussed, reached by the meeting day; a member's open request."""
    since = agenda_since(meeting)
    day: date = timezone.localdate(meeting.starts_at)
    open_cases = Case.unscoped.filter(unit_id=meeting.unit_id).exclude(status=CaseStatus.CLOSED)
    found = Candidates()
    for case_id in open_cases.filter(opened_at__gte=since).values_list("pk", flat=True):
        found.add(case_id, ItemReason.NEW_REFERRAL)
    flagged = RedFlagAlert.unscoped.filter(case__in=open_cases, for_panel=True, created_at__gte=since)
    for case_id in flagged.values_list("case_id", flat=True).distinct():
        found.add(case_id, ItemReason.RED_FLAG)
    reviews = Task.unscoped.filter(case__in=open_cases, kind=TaskKind.REVIEW, status=TaskStatus.OPEN, due_date__lte=day)
    for case_id in reviews.values_list("case_id", flat=True).distinct():
        found.add(case_id, ItemReason.REVIEW_DUE)
    # The panel review date set by the latest discussion of each case (at an earlier meeting).
    discussed = (
        AgendaItem.unscoped.filter(
            case__in=open_cases, status=ItemStatus.DISCUSSED, meeting__starts_at__lt=meeting.starts_at
        )
        .exclude(meeting=meeting)
        .order_by("case_id", "-meeting__starts_at", "-discussed_at")
        .values_list("case_id", "next_review_on")
    )
    latest: dict[Any, date | None] = {}
    for case_id, next_review_on in discussed:
        latest.setdefault(case_id, next_review_on)
    for case_id, next_review_on in latest.items():
        if next_review_on is not None and next_review_on <= day:
            found.add(case_id, ItemReason.PANEL_REVIEW)
    asked = AgendaRequest.unscoped.filter(unit_id=meeting.unit_id, status=RequestStatus.OPEN, case__in=open_cases)
    for agenda_request in asked.order_by("created_at"):
        found.add(agenda_request.case_id, ItemReason.MEMBER_REQUEST)
        found.requests.setdefault(agenda_request.case_id, []).append(agenda_request)
    return found


# Positions ---------------------------------------------------------------------------------


def agenda_slots(meeting: Meeting) -> list[tuple[Any, int]]:
    """Every item of the meeting as (id, position), in order: no case data, so that a page can
    show the place of an item its reader may not see."""
    return list(AgendaItem.unscoped.filter(meeting=meeting).order_by("position").values_list("pk", "position"))


def _renumber(meeting: Meeting) -> None:
    """Close any gap in the positions (1..n, in their current order), bumping moved items."""
    for number, item in enumerate(AgendaItem.unscoped.filter(meeting=meeting).order_by("position", "created_at"), 1):
        if item.position != number:
            AgendaItem.unscoped.filter(pk=item.pk).update(position=number, version=F("version") + 1)


def _next_position(meeting: Meeting) -> int:
    last = AgendaItem.unscoped.filter(meeting=meeting).order_by("-position").values_list("position", flat=True)
    return (last.first() or 0) + 1


# Services ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BuildResult:
    added: int
    updated: int
    requests_linked: int
    by_reason: dict[str, int]


def agenda_build(*, actor: Any, meeting: Meeting, request: HttpRequest | None = None) -> BuildResult:
    """Build (or rebuild) the meeting's agenda from the unit's open cases.

    Guarantees: only the unit's panel chair (PermissionDenied); not for a cancelled meeting or
    one whose minutes are locked (ValidationError, nothing written). Items already on the agenda
    keep their place and status (a withdrawn item stays withdrawn) and gain any new reason; cases
    not yet on it are appended, the strongest reason first (red flag, panel review, review due,
    request, new referral). Open requests are marked added and linked to their item. Sets
    `agenda_built_at`. One audit event, with counts by reason only."""
    _require_chair(actor, meeting)
    with transaction.atomic():
        meeting = _locked_meeting(meeting)
        ensure_agenda_editable(meeting)
        found = agenda_candidates(meeting)
        existing = {item.case_id: item for item in AgendaItem.unscoped.filter(meeting=meeting)}
        updated = 0
        for case_id, item in existing.items():
            wanted = found.reasons.get(case_id, set())
            missing = [r for r in _ordered(wanted) if r not in item.reasons]
            if missing:
                AgendaItem.unscoped.filter(pk=item.pk).update(
                    reasons=[*item.reasons, *missing], version=F("version") + 1, updated_at=timezone.now()
                )
                updated += 1
        new = [case_id for case_id in found.reasons if case_id not in existing]
        new.sort(key=lambda case_id: (_strength(_ordered(found.reasons[case_id])[0]), str(case_id)))
        position = _next_position(meeting)
        created: dict[Any, AgendaItem] = {}
        for case_id in new:
            created[case_id] = AgendaItem.unscoped.create(
                meeting=meeting,
                case_id=case_id,
                position=position,
                reasons=_ordered(found.reasons[case_id]),
                created_by=actor,
            )
            position += 1
        linked = 0
        for case_id, asked in found.requests.items():
            target = created.get(case_id) or existing[case_id]
            for agenda_request in asked:
                AgendaRequest.unscoped.filter(pk=agenda_request.pk, status=RequestStatus.OPEN).update(
                    status=RequestStatus.ADDED,
                    item=target,
                    handled_by=actor,
                    version=F("version") + 1,
                    updated_at=timezone.now(),
                )
                linked += 1
        now = timezone.now()
        Meeting.objects.filter(pk=meeting.pk).update(agenda_built_at=now, updated_at=now)
        by_reason = Counter(reason for reasons in found.reasons.values() for reason in reasons)
        result = BuildResult(
            added=len(created),
            updated=updated,
            requests_linked=linked,
            by_reason={str(reason): by_reason.get(reason, 0) for reason in REASON_STRENGTH[:-1]},
        )
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            request=request,
            unit=meeting.unit,
            obj=meeting,
            fields=["agenda_built_at", "items"],
            detail={
                "agenda": "built",
                "added": result.added,
                "updated": result.updated,
                "requests_linked": result.requests_linked,
                "by_reason": result.by_reason,
            },
        )
    return result


def _not_found(reference: str) -> ValidationError:
    return ValidationError(
        {
            "reference": f"There is no open case {reference} in this unit that you can see. "
            "Check the reference on the case page (for example NTH-2025-0012)."
        },
        code="not_found",
    )


def agenda_item_add(*, actor: Any, meeting: Meeting, reference: str, request: HttpRequest | None = None) -> AgendaItem:
    """Put a case on the agenda, by its reference, at the end.

    Guarantees: only the unit's panel chair (PermissionDenied); the meeting can still change; the
    case is an open case of the meeting's unit that the chair may see, and is not on the agenda
    already (ValidationError naming what to do; an unknown and a hidden case get the same
    answer). Nothing is written on refusal; the new item is audited."""
    _require_chair(actor, meeting)
    reference = (reference or "").strip().upper()
    if not reference:
        raise ValidationError({"reference": "Enter the case reference, for example NTH-2025-0012."})
    with transaction.atomic():
        meeting = _locked_meeting(meeting)
        ensure_agenda_editable(meeting)
        case = Case.objects.visible_to(actor).filter(reference__iexact=reference, unit_id=meeting.unit_id).first()
        if case is None:
            raise _not_found(reference)
        if case.status == CaseStatus.CLOSED:
            raise ValidationError(
                {"reference": f"Case {case.reference} is closed. Reopen it first if the panel needs to discuss it."},
                code="closed",
            )
        already = AgendaItem.unscoped.filter(meeting=meeting, case=case).first()
        if already is not None:
            taken_off = " (taken off the agenda)" if already.status == ItemStatus.WITHDRAWN else ""
            raise ValidationError(
                {"reference": f"Case {case.reference} is already item {already.position} on this agenda{taken_off}."},
                code="duplicate",
            )
        try:
            with transaction.atomic():
                item = AgendaItem.unscoped.create(
                    meeting=meeting,
                    case=case,
                    position=_next_position(meeting),
                    reasons=[ItemReason.ADDED_BY_CHAIR],
                    created_by=actor,
                )
        except IntegrityError as error:  # only if the row lock was bypassed
            raise ValidationError({"reference": f"Case {case.reference} is already on this agenda."}) from error
        audit_record(
            action=AuditAction.CREATE,
            actor=actor,
            request=request,
            unit=meeting.unit,
            obj=item,
            case_id=case.pk,
            fields=["meeting", "case", "position", "reasons"],
        )
    return item


def _locked_item(meeting: Meeting, item_id: Any, expected_version: int) -> AgendaItem:
    current = AgendaItem.unscoped.select_for_update().filter(meeting=meeting, pk=item_id).first()
    if current is None:
        raise ValidationError("This item is no longer on the agenda. Reload the page.")
    if current.version != expected_version:
        raise StaleEditError("agenda item", current=current)
    return current


def agenda_item_move(
    *,
    actor: Any,
    item: AgendaItem,
    direction: str,
    expected_version: int,
    request: HttpRequest | None = None,
) -> AgendaItem:
    """Move an item one place up or down (it swaps with its neighbour).

    Guarantees: only the unit's panel chair (PermissionDenied); the meeting can still change, the
    direction is "up" or "down" and the item is not already first or last (ValidationError); a
    stale `expected_version` raises StaleEditError. Positions stay 1..n; both items' versions are
    bumped; the move is audited (the position only)."""
    meeting = item.meeting
    _require_chair(actor, meeting)
    if direction not in ("up", "down"):
        raise ValidationError("Choose whether to move the item up or down.")
    with transaction.atomic():
        meeting = _locked_meeting(meeting)
        ensure_agenda_editable(meeting)
        current = _locked_item(meeting, item.pk, expected_version)
        siblings = AgendaItem.unscoped.filter(meeting=meeting)
        neighbour = (
            siblings.filter(position__lt=current.position).order_by("-position").first()
            if direction == "up"
            else siblings.filter(position__gt=current.position).order_by("position").first()
        )
        if neighbour is None:
            where = "first" if direction == "up" else "last"
            raise ValidationError(f"Item {current.position} is already {where} on the agenda.")
        now = timezone.now()
        AgendaItem.unscoped.filter(pk=current.pk).update(
            position=neighbour.position, version=F("version") + 1, updated_at=now
        )
        AgendaItem.unscoped.filter(pk=neighbour.pk).update(
            position=current.position, version=F("version") + 1, updated_at=now
        )
        _renumber(meeting)
        current.refresh_from_db()
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            request=request,
            unit=meeting.unit,
            obj=current,
            case_id=current.case_id,
            fields=["position"],
            detail={"moved": direction},
        )
    return current


def agenda_item_withdraw(
    *, actor: Any, item: AgendaItem, expected_version: int, request: HttpRequest | None = None
) -> AgendaItem:
    """Take an item off the agenda: it stays in its place, marked withdrawn, and a rebuild does
    not bring it back.

    Guarantees: only the unit's panel chair (PermissionDenied); the meeting can still change and
    the item is still to discuss (ValidationError); a stale `expected_version` raises
    StaleEditError. Nothing is written on refusal; audited."""
    meeting = item.meeting
    _require_chair(actor, meeting)
    with transaction.atomic():
        meeting = _locked_meeting(meeting)
        ensure_agenda_editable(meeting)
        current = _locked_item(meeting, item.pk, expected_version)
        if current.status == ItemStatus.WITHDRAWN:
            raise ValidationError(f"Item {current.position} is already off the agenda.")
        if current.status != ItemStatus.PENDING:
            raise ValidationError(
                f"Item {current.position} was {current.get_status_display().lower()}: it cannot be taken off the "
                "agenda now."
            )
        AgendaItem.unscoped.filter(pk=current.pk).update(
            status=ItemStatus.WITHDRAWN, version=F("version") + 1, updated_at=timezone.now()
        )
        current.refresh_from_db()
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            request=request,
            unit=meeting.unit,
            obj=current,
            case_id=current.case_id,
            fields=["status"],
        )
    return current


def agenda_request_create(*, actor: Any, case: Case, reason: str, request: HttpRequest | None = None) -> AgendaRequest:
    """A member of the case team asks for the case to be brought to the unit's next panel.

    Guarantees: the actor may add the case's team data (PermissionDenied); the case is open, a
    reason is given, and the actor has no request for it still waiting (ValidationError). Nothing
    is written on refusal; the request is audited (field names only)."""
    require_case_action(actor, case.unit_id, Compartment.TEAM, Action.CREATE)
    reason = (reason or "").strip()
    if case.status == CaseStatus.CLOSED:
        raise ValidationError("This case is closed. Reopen it first if the panel needs to discuss it.")
    if not reason:
        raise ValidationError({"reason": "Say why the panel should discuss this case."})
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError({"reason": f"The reason can be at most {REASON_MAX_LENGTH:,} characters."})
    with transaction.atomic():
        waiting = AgendaRequest.unscoped.filter(case=case, created_by=actor, status=RequestStatus.OPEN).first()
        if waiting is not None:
            raise ValidationError(
                f"You asked on {timezone.localtime(waiting.created_at):%d %B %Y} for this case to be brought to "
                "the panel, and the chair has not yet placed it. Nothing more is needed.",
                code="duplicate",
            )
        agenda_request = AgendaRequest.unscoped.create(unit_id=case.unit_id, case=case, reason=reason, created_by=actor)
        audit_record(
            action=AuditAction.CREATE,
            actor=actor,
            request=request,
            unit=case.unit,
            obj=agenda_request,
            case_id=case.pk,
            fields=["reason"],
        )
    return agenda_request


def agenda_request_decline(
    *,
    actor: Any,
    agenda_request: AgendaRequest,
    reason: str,
    expected_version: int,
    request: HttpRequest | None = None,
) -> AgendaRequest:
    """The chair declines a request to bring a case, saying why.

    Guarantees: only a panel chair of the request's unit (PermissionDenied); the request is still
    waiting and a reason is given (ValidationError); a stale `expected_version` raises
    StaleEditError. Nothing is written on refusal; audited (field names only)."""
    if not principal_for(actor).can(Capability.CHAIR_PANEL, agenda_request.unit_id):
        raise PermissionDenied("Only the unit's panel chair can decline a request.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the case will not be brought to the panel."})
    if len(reason) > DECLINE_MAX_LENGTH:
        raise ValidationError({"reason": f"The reason can be at most {DECLINE_MAX_LENGTH} characters."})
    with transaction.atomic():
        current = AgendaRequest.unscoped.select_for_update().get(pk=agenda_request.pk)
        if current.version != expected_version:
            raise StaleEditError("request", current=current)
        if current.status != RequestStatus.OPEN:
            raise ValidationError(f"This request was already handled: {current.get_status_display().lower()}.")
        updated = AgendaRequest.unscoped.filter(Q(pk=current.pk), Q(version=expected_version)).update(
            status=RequestStatus.DECLINED,
            declined_reason=reason,
            handled_by=actor,
            version=F("version") + 1,
            updated_at=timezone.now(),
        )
        if updated != 1:  # pragma: no cover - the row lock makes this impossible
            raise StaleEditError("request")
        current.refresh_from_db()
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            request=request,
            unit=current.unit,
            obj=current,
            case_id=current.case_id,
            fields=["status", "declined_reason"],
        )
    return current
