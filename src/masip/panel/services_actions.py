"""Actions agreed on an agenda item: each has an owner, their agency and a due date, and becomes a
task on the case for its owner (so it is on their "My work"); its state is its task's. Also the
daily reminders to owners of actions due soon or overdue (no case detail in the email).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from masip.access.models import CaseTeamMember
from masip.access.policy import Action, Capability, Compartment, roles_with_capability
from masip.accounts.models import Agency, Membership
from masip.audit.models import AuditAction
from masip.audit.services import audit_record
from masip.cases.models import Case
from masip.core.mail import email_after_commit
from masip.core.workdays import add_working_days
from masip.panel.models import AgendaItem, PanelAction
from masip.panel.services_items import _ensure_recording, _meeting_detail, require_recorder
from masip.work.models import Task, TaskKind, TaskStatus

TITLE_MAX_LENGTH = 200
DETAIL_MAX_LENGTH = 5_000
REMIND_WITHIN_WORKING_DAYS = 2


@dataclass(frozen=True)
class OwnerChoice:
    user_id: int
    name: str
    agency_id: int | None
    agency_name: str


def action_owner_choices(*, case: Case) -> list[OwnerChoice]:
    """Who may own an action on `case`, by name, each with their agency (the action's agency
    unless the panel says otherwise): the active members of its unit who will see the task, that
    is those on its case team now and those who oversee the unit's caseload. Anyone else must be
    put on the case team first; an action never shares a case as a side effect."""
    now = timezone.now()
    on_team = CaseTeamMember.objects.filter(case=case, since__lte=now).filter(Q(until__isnull=True) | Q(until__gt=now))
    memberships = (
        Membership.objects.active()
        .filter(unit_id=case.unit_id)
        .filter(
            Q(role__in=roles_with_capability(Capability.OVERSEE_UNIT_CASELOAD))
            | Q(role__in=roles_with_capability(Capability.WORK_CASES), user_id__in=on_team.values("user_id"))
        )
        .select_related("user__agency")
        .order_by("user__full_name", "created_at")
    )
    choices: dict[int, OwnerChoice] = {}
    for membership in memberships:
        user = membership.user
        agency_name = str(user.agency) if user.agency else "no agency"
        choices.setdefault(user.pk, OwnerChoice(user.pk, str(user), user.agency_id, agency_name))
    return list(choices.values())


def panel_action_add(
    *,
    actor: Any,
    item: AgendaItem,
    title: str,
    detail: str,
    owner_id: int | None,
    agency_id: int | None,
    due_on: date | None,
    request: HttpRequest | None = None,
) -> PanelAction:
    """Record an action agreed on an item, and give its owner a task on the case due the same day,
    in one transaction. Audited as the task's `create` (as work.services does) and the action's.

    Guarantees: the actor may record at the meeting and create team data on the case
    (PermissionDenied); the title is given, the owner is an active member of the unit who works
    cases, the agency exists (the owner's by default) and the due date is today or later
    (ValidationError by field); the meeting is recording (ValidationError); nothing is written on
    refusal.
    """
    require_recorder(actor=actor, item=item, compartment=Compartment.TEAM, action=Action.CREATE)
    case = item.case
    title, detail = title.strip(), detail.strip()
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = "Enter what needs doing."
    elif len(title) > TITLE_MAX_LENGTH:
        errors["title"] = f"The action can be at most {TITLE_MAX_LENGTH} characters. Put the rest in the details."
    if len(detail) > DETAIL_MAX_LENGTH:
        errors["detail"] = f"The details can be at most {DETAIL_MAX_LENGTH:,} characters."
    owners = {choice.user_id: choice for choice in action_owner_choices(case=case)}
    owner = owners.get(owner_id) if owner_id is not None else None
    if owner_id is None:
        errors["owner"] = "Choose who owns the action: every action needs an owner."
    elif owner is None:
        errors["owner"] = (
            "Choose the owner from the list: someone on the case team or who oversees the unit's cases. "
            "To give the action to someone else, add them to the case team first."
        )
    agency = None
    if agency_id is not None:
        agency = Agency.objects.filter(pk=agency_id).first()
        if agency is None:
            errors["agency"] = "Choose the agency from the list."
    elif owner is not None:
        agency = Agency.objects.filter(pk=owner.agency_id).first() if owner.agency_id else None
        if agency is None:
            errors["agency"] = f"{owner.name} has no agency on their account: choose the agency from the list."
    if due_on is None:
        errors["due_on"] = "Enter the date the action is due."
    elif due_on < timezone.localdate():
        errors["due_on"] = "The due date is in the past. Enter today's date or a later one."
    if errors:
        raise ValidationError(errors)
    if owner is None or agency is None or due_on is None:  # pragma: no cover - each refused above
        raise ValidationError("Check the action and record it again.")
    with transaction.atomic():
        _ensure_recording(item)
        task = Task.unscoped.create(
            case=case,
            title=title,
            description=detail,
            owner_id=owner.user_id,
            due_date=due_on,
            kind=TaskKind.PANEL_ACTION,
            created_by=actor,
            updated_by=actor,
        )
        audit_record(
            action=AuditAction.CREATE,
            actor=actor,
            request=request,
            unit=case.unit,
            obj=task,
            case_id=case.pk,
            fields=["title", "description", "owner", "due_date"],
            detail={"kind": str(TaskKind.PANEL_ACTION)},
        )
        action = PanelAction.unscoped.create(
            item=item,
            meeting=item.meeting,
            case=case,
            title=title,
            detail=detail,
            owner_id=owner.user_id,
            agency=agency,
            due_on=due_on,
            task=task,
            created_by=actor,
        )
        audit_record(
            action=AuditAction.CREATE,
            actor=actor,
            request=request,
            unit=case.unit,
            obj=action,
            case_id=case.pk,
            fields=["title", "detail", "owner", "agency", "due_on", "task"],
            detail={**_meeting_detail(item), "task": str(task.pk)},
        )
    return action


# --- reminders ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RemindersSent:
    actions: int
    owners: int


def panel_reminders_send(*, site_url: str = "", today: date | None = None) -> RemindersSent:
    """Email the owner of each open panel action due within two working days or overdue, at most
    once a day per action (`reminded_on`). One email per owner, sent after commit; it says only
    that panel actions need attention, their due dates and where the tracker is: no case, no title.
    Each action reminded is audited as a `change` of `reminded_on` by the system."""
    today = today or timezone.localdate()
    horizon = add_working_days(today, REMIND_WITHIN_WORKING_DAYS)
    link = site_url.rstrip("/") + reverse("panel:actions")
    with transaction.atomic():
        due = list(
            PanelAction.unscoped.select_for_update(of=("self",))
            .filter(task__status=TaskStatus.OPEN, task__due_date__lte=horizon, owner__is_active=True)
            .exclude(reminded_on=today)
            .select_related("task", "owner", "case__unit")
            .order_by("owner_id", "task__due_date")
        )
        by_owner: dict[int, list[PanelAction]] = defaultdict(list)
        for action in due:
            by_owner[action.owner_id].append(action)
        emails = []
        for actions in by_owner.values():
            owner = actions[0].owner
            lines = "\n".join(_line(a.task.due_date, today) for a in actions)
            count = len(actions)
            subject = (
                "A panel action needs your attention" if count == 1 else f"{count} panel actions need your attention"
            )
            body = (
                f"{'A panel action you own is' if count == 1 else f'{count} panel actions you own are'} "
                f"due soon or overdue:\n\n{lines}\n\nSee them in masip's panel actions tracker: {link}\n"
            )
            emails.append((subject, body, [owner.email]))
        for action in due:
            action.reminded_on = today
            action.save(update_fields=["reminded_on", "updated_at"])
            audit_record(
                action=AuditAction.CHANGE,
                unit=action.case.unit,
                obj=action,
                case_id=action.case_id,
                fields=["reminded_on"],
                detail={"reminder": "panel_action", "due_date": action.task.due_date.isoformat()},
            )
        email_after_commit(emails)
    return RemindersSent(actions=len(due), owners=len(by_owner))


def _line(due: date, today: date) -> str:
    when = f"{due:%-d %B %Y}"
    if due < today:
        return f"- one action, overdue since {when}"
    if due == today:
        return f"- one action, due today ({when})"
    return f"- one action, due {when}"
