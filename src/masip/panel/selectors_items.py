"""Reads of what was recorded about agenda items and of the actions that followed, scoped with
`visible_to` (case and compartment) and audited: an item fetched by the id in a URL (the same 404
for missing, another case's and not visible), an item's record for the item page, and the actions
tracker across meetings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from masip.access.lookup import get_visible_or_404
from masip.access.policy import Capability
from masip.access.principal import principal_for
from masip.audit.models import AuditAction
from masip.audit.services import audit_listing, audit_listings_by_unit, audit_record
from masip.cases.models import Case
from masip.panel.models import AgendaItem, DecisionOption, DiscussionNote, ItemDecision, PanelAction
from masip.work.models import TaskStatus

ITEM_FIELDS = ["meeting", "position", "status", "next_review_on"]
NOTE_FIELDS = ["compartment", "text"]
DECISION_FIELDS = ["option", "detail"]
ACTION_FIELDS = ["title", "detail", "owner", "agency", "due_on", "task"]
TRACKED_FIELDS = ["title", "owner", "agency", "due_on", "task", "meeting"]


def item_get_for(*, user: Any, case: Case, item_id: Any, request: HttpRequest | None = None) -> AgendaItem:
    """One agenda item of `case` the user may see, with its meeting (and the meeting's minutes, if
    any, for the lock); the read is audited."""
    queryset = (
        AgendaItem.objects.visible_to(user)
        .filter(case=case)
        .select_related("meeting", "meeting__unit", "meeting__minutes")
    )
    item = get_visible_or_404(queryset, item_id, user=user, request=request)
    item.case = case
    audit_record(
        action=AuditAction.VIEW,
        actor=user,
        request=request,
        unit=case.unit,
        obj=item,
        case_id=case.pk,
        fields=ITEM_FIELDS,
    )
    return item


@dataclass
class ItemRecord:
    notes: list[DiscussionNote]
    decisions: list[ItemDecision]
    actions: list[PanelAction]
    today: date


def item_record_for(*, user: Any, item: AgendaItem, request: HttpRequest | None = None) -> ItemRecord:
    """What was recorded about `item` that the user may read: discussion notes in the compartments
    their roles allow, decisions, actions with their task; each list is one audited consultation."""
    case_id, unit = item.case_id, item.meeting.unit
    notes = list(DiscussionNote.objects.visible_to(user).filter(item=item).select_related("created_by"))
    decisions = list(ItemDecision.objects.visible_to(user).filter(item=item).select_related("option", "created_by"))
    actions = list(PanelAction.objects.visible_to(user).filter(item=item).select_related("owner", "agency", "task"))
    for label, rows, fields in (
        (DiscussionNote._meta.label_lower, notes, NOTE_FIELDS),
        (ItemDecision._meta.label_lower, decisions, DECISION_FIELDS),
        (PanelAction._meta.label_lower, actions, ACTION_FIELDS),
    ):
        audit_listing(
            actor=user,
            object_type=label,
            ids=(row.pk for row in rows),
            unit=unit,
            case_id=case_id,
            fields=fields,
            request=request,
        )
    return ItemRecord(notes, decisions, actions, timezone.localdate())


# --- the actions tracker -----------------------------------------------------------------------


class TrackerState:
    OPEN = "open"
    OVERDUE = "overdue"
    DONE = "done"
    ALL = "all"
    CHOICES = ((OPEN, "Open"), (OVERDUE, "Overdue"), (DONE, "Done"), (ALL, "All"))


def action_state(action: PanelAction, today: date) -> str:
    """An action's state, from its task: done when the task is done, overdue when it is open and due
    before today, open while it is open, otherwise (cancelled) the task's status."""
    status = action.task.status
    if status == TaskStatus.DONE:
        return TrackerState.DONE
    if status == TaskStatus.OPEN:
        return TrackerState.OVERDUE if action.task.due_date < today else TrackerState.OPEN
    return str(status)


@dataclass
class Tracker:
    actions: list[PanelAction]
    state: str
    chairs: bool
    today: date


def _tracked(user: Any) -> QuerySet[PanelAction]:
    principal = principal_for(user)
    mine = Q(owner_id=principal.user_id)
    chaired = principal.units_with(Capability.CHAIR_PANEL)
    if chaired:
        mine |= Q(meeting__unit_id__in=chaired)
    return PanelAction.objects.visible_to(user).filter(mine)


def actions_tracker_for(*, user: Any, state: str, request: HttpRequest | None = None) -> Tracker:
    """Panel actions across meetings: the user's own, and every action of the units whose panel they
    chair; only actions whose case the user may see are listed. Filtered by the state of their task
    (open includes overdue). One query for the rows whatever their number; audited per unit."""
    today = timezone.localdate()
    queryset = _tracked(user).select_related("task", "owner", "agency", "meeting", "case", "case__unit")
    queryset = queryset.defer("detail", "task__description", "case__summary")
    if state == TrackerState.DONE:
        queryset = queryset.filter(task__status=TaskStatus.DONE)
    elif state == TrackerState.OVERDUE:
        queryset = queryset.filter(task__status=TaskStatus.OPEN, task__due_date__lt=today)
    elif state == TrackerState.OPEN:
        queryset = queryset.filter(task__status=TaskStatus.OPEN)
    actions = list(queryset.order_by("task__due_date", "meeting__starts_at", "created_at"))
    for action in actions:
        action.state = action_state(action, today)  # type: ignore[attr-defined]
    audit_listings_by_unit(
        actor=user,
        object_type=PanelAction._meta.label_lower,
        rows=((a.case.unit, str(a.pk)) for a in actions),
        request=request,
    )
    chairs = bool(principal_for(user).units_with(Capability.CHAIR_PANEL))
    return Tracker(actions, state, chairs, today)


# --- decision options --------------------------------------------------------------------------


def chaired_option_get(*, user: Any, option_id: Any, request: HttpRequest | None = None) -> DecisionOption:
    """A decision option of a unit whose panel the user chairs (404 otherwise, audited)."""
    units = principal_for(user).units_with(Capability.CHAIR_PANEL)
    queryset = DecisionOption.objects.filter(unit_id__in=units).select_related("unit")
    return get_visible_or_404(queryset, option_id, user=user, request=request)
