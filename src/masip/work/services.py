"""Writes to tasks and the rules that make them. Each is one transaction with its audit row inside.

Who may work on a case's tasks: its case team, and the managers who oversee the unit's caseload.
Someone reading a case through break-glass may see its tasks but not change them.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone

from masip.access.models import CaseRole, CaseTeamMember
from masip.access.policy import Action, Capability, Compartment
from masip.access.principal import principal_for
from masip.audit.models import AuditAction
from masip.audit.services import audit_record
from masip.cases.models import Case, CaseStatus, RiskLevel
from masip.core.models import StaleEditError, save_versioned
from masip.work.models import Task, TaskKind, TaskStatus
from masip.work.rules import RuleSettings, work_rules_for

TITLE_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 5_000
EDITABLE_FIELDS = ("title", "description", "owner_id", "due_date")
_FIELD_LABELS = {"title": "Title", "description": "Details", "owner_id": "Owner", "due_date": "Due date"}


class RuleReason(models.TextChoices):
    CASE_OPENED = "case_opened", "Case opened"
    RISK_CHANGED = "risk_changed", "Risk level changed"
    REVIEW_DONE = "review_done", "Review done"
    REVIEW_CANCELLED = "review_cancelled", "Review cancelled"
    CASE_CLOSED = "case_closed", "Case closed"
    CASE_REOPENED = "case_reopened", "Case reopened"
    RISK_ASSESSED = "risk_assessed", "Risk assessed"
    RISK_EVENT = "risk_event", "Risk event recorded"
    REASSESSMENT_CLOSED = "reassessment_closed", "Re-assessment done or cancelled"
    DAILY = "daily", "Daily run"


class StaleTaskError(StaleEditError):
    """A task edit based on an old version: says what is different now."""

    def __init__(self, current: Task, differences: list[str]) -> None:
        who = current.updated_by or current.closed_by
        by = f" by {who}" if who else ""
        now = "; ".join(differences) if differences else "nothing you can see here (only its history)"
        Exception.__init__(
            self,
            f"This task was changed{by} after you opened it, so nothing you entered was saved. "
            f"It now differs from yours in: {now}. Check the task as it is now and make your change again.",
        )
        self.current = current
        self.differences = differences


# --- who may work on tasks -------------------------------------------------------------------


def task_may_work_on(*, user: Any, case: Case, team: Iterable[CaseTeamMember] | None = None) -> bool:
    """The case team and the unit's caseload overseers; not a break-glass reader.

    `team`: the case's current team when the caller has it already (saves a query)."""
    principal = principal_for(user)
    if principal.can(Capability.OVERSEE_UNIT_CASELOAD, unit_id=case.unit_id):
        return True
    if not principal.can(Capability.WORK_CASES, unit_id=case.unit_id):
        return False
    if team is not None:
        return any(member.user_id == principal.user_id for member in team)
    return CaseTeamMember.objects.active().filter(case_id=case.pk, user_id=principal.user_id).exists()


def _require(actor: Any, case: Case, action: Action) -> None:
    if not task_may_work_on(user=actor, case=case):
        raise PermissionDenied("Only the case team and the unit's managers can work on this case's tasks.")
    if not principal_for(actor).may(case.unit_id, Compartment.TEAM, action):
        raise PermissionDenied("Your role does not allow this on this case's tasks.")


def _check_owner(case: Case, owner_id: int | None) -> None:
    if owner_id is None:
        return
    if not CaseTeamMember.objects.active().filter(case_id=case.pk, user_id=owner_id).exists():
        raise ValidationError({"owner": "Choose someone on the case team as the owner."})


def _clean_text(title: str, description: str) -> tuple[str, str]:
    title, description = title.strip(), description.strip()
    errors = {}
    if not title:
        errors["title"] = "Enter what needs doing."
    elif len(title) > TITLE_MAX_LENGTH:
        errors["title"] = f"The title can be at most {TITLE_MAX_LENGTH} characters. Put the rest in the details."
    if len(description) > DESCRIPTION_MAX_LENGTH:
        errors["description"] = f"The details can be at most {DESCRIPTION_MAX_LENGTH} characters."
    if errors:
        raise ValidationError(errors)
    return title, description


# --- tasks by hand ----------------------------------------------------------------------------


def task_create(
    *,
    actor: Any,
    case: Case,
    title: str,
    due_date: date,
    owner_id: int | None,
    description: str = "",
    request: HttpRequest | None = None,
) -> Task:
    """Add a task to `case` by hand, audited as `create`.

    Guarantees: the actor is on the case team or oversees the unit and may create team data
    (PermissionDenied); the owner, if any, is on the case team and the title is given
    (ValidationError by field); nothing is written on refusal.
    """
    _require(actor, case, Action.CREATE)
    title, description = _clean_text(title, description)
    _check_owner(case, owner_id)
    with transaction.atomic():
        task = Task.unscoped.create(
            case=case,
            title=title,
            description=description,
            owner_id=owner_id,
            due_date=due_date,
            kind=TaskKind.MANUAL,
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
        )
    return task


def _differences(current: Task, wanted: dict[str, Any]) -> list[str]:
    shown = []
    for name, value in wanted.items():
        if getattr(current, name) != value:
            now = getattr(current, name)
            if name == "owner_id":
                now = current.owner or "nobody"
            elif name == "due_date":
                now = f"{now:%-d %B %Y}"
            elif name == "description":
                now = "changed"
            shown.append(f"{_FIELD_LABELS[name]} ({now})" if name != "description" else "Details")
    if current.status != TaskStatus.OPEN:
        shown.insert(0, f"Status ({current.get_status_display().lower()})")
    return shown


def _stale(task: Task, wanted: dict[str, Any]) -> StaleTaskError:
    current = Task.unscoped.select_related("owner", "updated_by", "closed_by").get(pk=task.pk)
    return StaleTaskError(current, _differences(current, wanted))


def task_update(
    *,
    actor: Any,
    task: Task,
    expected_version: int,
    title: str,
    due_date: date,
    owner_id: int | None,
    description: str = "",
    request: HttpRequest | None = None,
) -> Task:
    """Change an open task's title, details, owner or due date, audited as `change` (names of the
    fields changed only).

    Guarantees: as task_create for who and what; a task no longer open is refused
    (ValidationError); a stale `expected_version` raises StaleTaskError naming what differs now,
    and nothing is written.
    """
    case = task.case
    _require(actor, case, Action.CHANGE)
    title, description = _clean_text(title, description)
    wanted = {"title": title, "description": description, "owner_id": owner_id, "due_date": due_date}
    if task.version != expected_version:
        raise _stale(task, wanted)
    if task.status != TaskStatus.OPEN:
        raise ValidationError(f"This task is {task.get_status_display().lower()}; it can no longer be changed.")
    _check_owner(case, owner_id)
    changed = [name for name, value in wanted.items() if getattr(task, name) != value]
    with transaction.atomic():
        for name, value in wanted.items():
            setattr(task, name, value)
        task.updated_by = actor
        try:
            save_versioned(task, expected_version=expected_version, fields=[*EDITABLE_FIELDS, "updated_by"])
        except StaleEditError:
            raise _stale(task, wanted) from None
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            request=request,
            unit=case.unit,
            obj=task,
            case_id=case.pk,
            fields=[n.removesuffix("_id") for n in changed],
            detail={"version": task.version},
        )
    return task


def _close(*, actor: Any, task: Task, expected_version: int, status: TaskStatus, request: HttpRequest | None) -> Task:
    case = task.case
    _require(actor, case, Action.CHANGE)
    if task.version != expected_version:
        raise _stale(task, {})
    if task.status != TaskStatus.OPEN:
        raise ValidationError(f"This task is already {task.get_status_display().lower()}. Nothing was changed.")
    with transaction.atomic():
        task.status = status
        task.closed_by = task.updated_by = actor
        task.closed_at = timezone.now()
        try:
            save_versioned(
                task, expected_version=expected_version, fields=["status", "closed_by", "closed_at", "updated_by"]
            )
        except StaleEditError:
            raise _stale(task, {}) from None
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            request=request,
            unit=case.unit,
            obj=task,
            case_id=case.pk,
            fields=["status", "closed_by", "closed_at"],
            detail={"status": str(status), "version": task.version},
        )
        if task.kind == TaskKind.REVIEW:
            reason = RuleReason.REVIEW_DONE if status == TaskStatus.DONE else RuleReason.REVIEW_CANCELLED
            work_rules_apply(case=case, reason=reason, actor=actor, request=request)
        elif task.kind == TaskKind.REASSESSMENT:
            work_rules_apply(case=case, reason=RuleReason.REASSESSMENT_CLOSED, actor=actor, request=request)
    return task


def task_complete(*, actor: Any, task: Task, expected_version: int, request: HttpRequest | None = None) -> Task:
    """Mark an open task done (who and when recorded), audited as `change`.

    Guarantees: as task_update for who, staleness and state; completing a review creates the
    case's next review, from today, in the same transaction; completing a re-assessment sets
    the next one by the case's risk level, counted from today (or a later assessment).
    """
    return _close(actor=actor, task=task, expected_version=expected_version, status=TaskStatus.DONE, request=request)


def task_cancel(*, actor: Any, task: Task, expected_version: int, request: HttpRequest | None = None) -> Task:
    """Cancel an open task (who and when recorded), audited as `change`.

    Guarantees: as task_complete. A case always has its next review: cancelling the open one
    starts a new review period from today.
    """
    return _close(
        actor=actor, task=task, expected_version=expected_version, status=TaskStatus.CANCELLED, request=request
    )


# --- rules ------------------------------------------------------------------------------------

# Whom a rule-made task goes to, by their role on the case; else the longest-serving member.
_REVIEW_OWNERS = (CaseRole.LEAD_INVESTIGATOR, CaseRole.LEAD_CLINICIAN, CaseRole.UNIT_MANAGER)
_FIRST_CONTACT_OWNERS = (CaseRole.ADVOCATE, CaseRole.OUTREACH_WORKER)
_REASSESSMENT_OWNERS = (CaseRole.LEAD_CLINICIAN, CaseRole.LEAD_INVESTIGATOR, CaseRole.UNIT_MANAGER)
_ORDER_OWNERS = (CaseRole.LEAD_INVESTIGATOR, CaseRole.ADVOCATE, CaseRole.UNIT_MANAGER)


def _owner_for(team: list[CaseTeamMember], preferred: tuple[CaseRole, ...]) -> int | None:
    for role in preferred:
        for member in team:
            if member.role_on_case == role:
                return member.user_id
    return team[0].user_id if team else None


@dataclass
class RulesOutcome:
    created: list[Task] = field(default_factory=list)
    recomputed: list[Task] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.recomputed)


def _review_rule(risk_level: str) -> str:
    return f"review:{risk_level}"


def _review_title(risk_level: str) -> str:
    if risk_level == RiskLevel.NOT_ASSESSED:
        return "Review the case (risk not yet assessed)"
    return f"Review the case ({RiskLevel(risk_level).label.lower()} risk)"


def work_rules_apply(*, case: Case, reason: str, actor: Any = None, request: HttpRequest | None = None) -> RulesOutcome:
    """Bring the case's rule-made tasks in line with its unit's rules. Idempotent.

    Guarantees, for a case that is not closed: exactly one open review task, due at the end of
    the review period its current risk level sets (a period starts when the previous review is
    done or cancelled, or the case opens); when the risk level differs from the one the open
    review was made for, its due date is recomputed from the start of its period (never before
    today); on case opening, one first-contact task due the set number of working days after
    acceptance; once the case's risk has been assessed, exactly one open re-assessment task,
    due the set number of days (by level) after the later of the last assessment and the last
    re-assessment task closed, unless a risk event has brought it sooner (see
    `work_reassessment_for_event`); reminders of the orders ending (see
    `work_rules_order_expiry_reminders`). Every task made or moved is audited with the rule and the
    reason, in the caller's transaction. Runs without a person (`actor=None`) for the daily run.
    """
    outcome = RulesOutcome()
    with transaction.atomic():
        # Serialises two runs on the same case (a completion and the daily run, say).
        case = Case.unscoped.select_for_update().select_related("unit").get(pk=case.pk)
        if case.status == CaseStatus.CLOSED:
            return outcome
        rules = work_rules_for(unit_id=case.unit_id)
        team = list(CaseTeamMember.objects.active().filter(case_id=case.pk).order_by("since", "pk"))
        today = timezone.localdate()
        _apply_review(case, rules, team, today, reason, actor, request, outcome)
        if reason == RuleReason.CASE_OPENED:
            _apply_first_contact(case, rules, team, reason, actor, request, outcome)
        _apply_reassessment(case, rules, team, reason, actor, request, outcome)
        outcome.created.extend(
            work_rules_order_expiry_reminders(case=case, actor=actor, reason=reason, request=request, today=today)
        )
    return outcome


def work_case_closed(*, case: Case, actor: Any, request: HttpRequest | None = None) -> list[Task]:
    """Cancel the rule-made tasks still open on a case that has just closed (reviews, first
    contact, order reminders: a closed case has none due); tasks made by hand stay for their
    owners to finish or cancel. Each is audited, in the caller's transaction. Reopening the
    case runs `work_rules_apply(reason=RuleReason.CASE_REOPENED)`, which gives it a review again.
    """
    now = timezone.now()
    cancelled = list(
        Task.unscoped.select_for_update()
        .filter(case_id=case.pk, status=TaskStatus.OPEN)
        .exclude(kind=TaskKind.MANUAL)
        .order_by("pk")
    )
    for task in cancelled:
        task.status = TaskStatus.CANCELLED
        task.closed_by = task.updated_by = actor
        task.closed_at = now
        save_versioned(task, expected_version=task.version, fields=["status", "closed_by", "closed_at", "updated_by"])
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            request=request,
            unit=case.unit,
            obj=task,
            case_id=case.pk,
            fields=["status", "closed_by", "closed_at"],
            detail={"status": str(TaskStatus.CANCELLED), "reason": str(RuleReason.CASE_CLOSED)},
        )
    return cancelled


def _audit_rule(task: Task, case: Case, *, created: bool, reason: str, actor: Any, request: HttpRequest | None) -> None:
    audit_record(
        action=AuditAction.CREATE if created else AuditAction.CHANGE,
        actor=actor,
        request=request,
        unit=case.unit,
        obj=task,
        case_id=case.pk,
        fields=["title", "description", "owner", "due_date"] if created else ["due_date", "rule", "title"],
        detail={"rule": task.rule, "reason": str(reason), "due_date": task.due_date.isoformat()},
    )


def _apply_review(
    case: Case,
    rules: RuleSettings,
    team: list[CaseTeamMember],
    today: date,
    reason: str,
    actor: Any,
    request: HttpRequest | None,
    outcome: RulesOutcome,
) -> None:
    level = case.risk_level
    open_review = Task.unscoped.filter(case=case, kind=TaskKind.REVIEW, status=TaskStatus.OPEN).first()
    if open_review is None:
        task = Task.unscoped.create(
            case=case,
            title=_review_title(level),
            description=f"Made by the unit's review rule: {RiskLevel(level).label.lower()} risk.",
            owner_id=_owner_for(team, _REVIEW_OWNERS),
            due_date=rules.review_due(level, today),
            kind=TaskKind.REVIEW,
            rule=_review_rule(level),
            period_start=today,
            created_by=actor,
            updated_by=actor,
        )
        _audit_rule(task, case, created=True, reason=reason, actor=actor, request=request)
        outcome.created.append(task)
    elif open_review.rule != _review_rule(level):
        start = open_review.period_start or timezone.localdate(open_review.created_at)
        open_review.due_date = max(rules.review_due(level, start), today)
        open_review.rule = _review_rule(level)
        open_review.title = _review_title(level)
        open_review.updated_by = actor
        # The rules hold the case lock; a person's edit in between makes this fail loudly.
        save_versioned(
            open_review, expected_version=open_review.version, fields=["due_date", "rule", "title", "updated_by"]
        )
        _audit_rule(open_review, case, created=False, reason=reason, actor=actor, request=request)
        outcome.recomputed.append(open_review)


def _reassessment_basis(case: Case) -> date | None:
    """The day the next re-assessment counts from: the last assessment, or the day the last
    re-assessment task was closed by hand when that is later."""
    closed = (
        Task.unscoped.filter(case=case, kind=TaskKind.REASSESSMENT)
        .exclude(status=TaskStatus.OPEN)
        .exclude(closed_at__isnull=True)
        .order_by("-closed_at")
        .values_list("closed_at", flat=True)
        .first()
    )
    days = [day for day in (case.risk_assessed_on, closed and timezone.localdate(closed)) if day]
    return max(days) if days else None


def _reassess_rule(risk_level: str) -> str:
    return f"reassess:{risk_level}"


REASSESS_EVENT_RULE = "reassess:event"


def _apply_reassessment(
    case: Case,
    rules: RuleSettings,
    team: list[CaseTeamMember],
    reason: str,
    actor: Any,
    request: HttpRequest | None,
    outcome: RulesOutcome,
) -> None:
    level = case.risk_level
    if level == RiskLevel.NOT_ASSESSED:
        return
    basis = _reassessment_basis(case)
    due = rules.reassess_due(level, basis) if basis is not None else None
    if basis is None or due is None:
        return
    rule = _reassess_rule(level)
    title = f"Re-assess risk ({RiskLevel(level).label.lower()} risk)"
    open_task = Task.unscoped.filter(case=case, kind=TaskKind.REASSESSMENT, status=TaskStatus.OPEN).first()
    if open_task is None:
        task = Task.unscoped.create(
            case=case,
            title=title,
            description=(
                f"Made by the unit's re-assessment rule: {RiskLevel(level).label.lower()} risk, "
                f"last assessed on {basis:%-d %B %Y}."
            ),
            owner_id=_owner_for(team, _REASSESSMENT_OWNERS),
            due_date=due,
            kind=TaskKind.REASSESSMENT,
            rule=rule,
            period_start=basis,
            created_by=actor,
            updated_by=actor,
        )
        _audit_rule(task, case, created=True, reason=reason, actor=actor, request=request)
        outcome.created.append(task)
        return
    if open_task.rule == REASSESS_EVENT_RULE:
        # Brought forward by an event: an assessment completed after the event answers it (the
        # task is re-timed by level from that assessment); until then a sooner level date still
        # wins. An assessment of the event's own day answers it only when it is completed now.
        fresh = reason in (RuleReason.RISK_ASSESSED, RuleReason.RISK_CHANGED)
        start = open_task.period_start
        answered = start is not None and (basis > start or (fresh and basis == start))
        if not answered and due >= open_task.due_date:
            return
    elif open_task.rule == rule and open_task.period_start == basis and open_task.due_date == due:
        return
    open_task.due_date, open_task.rule, open_task.title, open_task.period_start = due, rule, title, basis
    open_task.updated_by = actor
    save_versioned(
        open_task,
        expected_version=open_task.version,
        fields=["due_date", "rule", "title", "period_start", "updated_by"],
    )
    _audit_rule(open_task, case, created=False, reason=reason, actor=actor, request=request)
    outcome.recomputed.append(open_task)


def work_reassessment_for_event(
    *,
    case: Case,
    due_date: date,
    occurred_on: date,
    title: str,
    description: str,
    actor: Any,
    request: HttpRequest | None = None,
) -> Task | None:
    """Ask for a re-assessment of `case` by `due_date` because of an event on `occurred_on`.

    Guarantees: the case (not closed) has one open re-assessment task, due no later than
    `due_date`: one is made when there is none, and an open one due later is brought forward
    (retitled after the event); one already due sooner is left alone. Returns the task made or
    moved, None when nothing changed. Audited with the rule and reason, in the caller's
    transaction. An assessment completed on or after `occurred_on` re-times the task by level.
    """
    with transaction.atomic():
        case = Case.unscoped.select_for_update().select_related("unit").get(pk=case.pk)
        if case.status == CaseStatus.CLOSED:
            return None
        open_task = (
            Task.unscoped.select_for_update()
            .filter(case=case, kind=TaskKind.REASSESSMENT, status=TaskStatus.OPEN)
            .first()
        )
        if open_task is None:
            team = list(CaseTeamMember.objects.active().filter(case_id=case.pk).order_by("since", "pk"))
            task = Task.unscoped.create(
                case=case,
                title=title,
                description=description,
                owner_id=_owner_for(team, _REASSESSMENT_OWNERS),
                due_date=due_date,
                kind=TaskKind.REASSESSMENT,
                rule=REASSESS_EVENT_RULE,
                period_start=occurred_on,
                created_by=actor,
                updated_by=actor,
            )
            _audit_rule(task, case, created=True, reason=RuleReason.RISK_EVENT, actor=actor, request=request)
            return task
        if open_task.due_date <= due_date:
            return None
        open_task.due_date, open_task.rule, open_task.title = due_date, REASSESS_EVENT_RULE, title
        open_task.period_start = occurred_on
        open_task.description = description
        open_task.updated_by = actor
        save_versioned(
            open_task,
            expected_version=open_task.version,
            fields=["due_date", "rule", "title", "period_start", "description", "updated_by"],
        )
        _audit_rule(open_task, case, created=False, reason=RuleReason.RISK_EVENT, actor=actor, request=request)
        return open_task


def _apply_first_contact(
    case: Case,
    rules: RuleSettings,
    team: list[CaseTeamMember],
    reason: str,
    actor: Any,
    request: HttpRequest | None,
    outcome: RulesOutcome,
) -> None:
    if Task.unscoped.filter(case=case, kind=TaskKind.FIRST_CONTACT).exists():
        return
    accepted = timezone.localdate(case.opened_at)
    task = Task.unscoped.create(
        case=case,
        title="Make first contact with the victim",
        description=(
            f"Made by the unit's first-contact rule: within {rules.first_contact_working_days} "
            "working days of the referral being accepted."
        ),
        owner_id=_owner_for(team, _FIRST_CONTACT_OWNERS),
        due_date=rules.first_contact_due(accepted),
        kind=TaskKind.FIRST_CONTACT,
        rule="first_contact",
        created_by=actor,
        updated_by=actor,
    )
    _audit_rule(task, case, created=True, reason=reason, actor=actor, request=request)
    outcome.created.append(task)


ORDER_EXPIRY_THRESHOLDS = (90, 30, 7)  # days before an order ends


def _order_expiry_rule(order_id: uuid.UUID, days: int) -> str:
    # Task.rule holds 40 characters: the order's id is written in 22 (URL-safe base64).
    return f"order_expiry:{days}:{base64.urlsafe_b64encode(order_id.bytes).decode().rstrip('=')}"


def work_rules_order_expiry_reminders(
    *, case: Case, actor: Any, reason: str, request: HttpRequest | None = None, today: date | None = None
) -> list[Task]:
    """Reminders that an order of the case's register (interventions) is ending: one task per
    order and threshold (90, 30 and 7 days before its end, rule `order_expiry:<days>:<order>`),
    made once the threshold day is reached while the order is granted or in force and not yet
    ended. Idempotent: a reminder made once (open, done or cancelled) is never made again; when
    several thresholds have passed unseen (an order recorded late), only the nearest is made.
    """
    from masip.interventions.models_legal import ACTIVE_ORDER_STATUSES, Order

    today = today or timezone.localdate()
    orders = list(
        Order.unscoped.filter(
            case_id=case.pk, status__in=ACTIVE_ORDER_STATUSES, ends_on__isnull=False, ends_on__gte=today
        ).order_by("ends_on", "pk")
    )
    if not orders:
        return []
    made = set(Task.unscoped.filter(case_id=case.pk, kind=TaskKind.ORDER_EXPIRY).values_list("rule", flat=True))
    team: list[CaseTeamMember] | None = None
    created: list[Task] = []
    for order in orders:
        ends_on: date = order.ends_on  # type: ignore[assignment]  # the query keeps only orders with an end
        reached = [days for days in ORDER_EXPIRY_THRESHOLDS if today >= ends_on - timedelta(days=days)]
        if not reached:
            continue
        days = min(reached)
        rule = _order_expiry_rule(order.pk, days)
        if rule in made:
            continue
        if team is None:
            team = list(CaseTeamMember.objects.active().filter(case_id=case.pk).order_by("since", "pk"))
        ends = f"{ends_on.day} {ends_on:%B %Y}"
        task = Task.unscoped.create(
            case=case,
            title=f"{order.get_kind_display()} ends on {ends}"[:TITLE_MAX_LENGTH],
            description=(
                f"Made by the order-expiry rule, {days} days before the order ends. Check with the victim "
                "whether it should be renewed or replaced, and plan their safety for after it ends."
            ),
            owner_id=_owner_for(team, _ORDER_OWNERS),
            due_date=max(ends_on - timedelta(days=days), today),
            kind=TaskKind.ORDER_EXPIRY,
            rule=rule,
            created_by=actor,
            updated_by=actor,
        )
        _audit_rule(task, case, created=True, reason=reason, actor=actor, request=request)
        created.append(task)
    return created


def work_rules_apply_all(*, reason: str = RuleReason.DAILY) -> tuple[int, int, int]:
    """Run the rules over every case that is not closed: (cases, tasks created, tasks recomputed)."""
    cases = created = recomputed = 0
    for case in Case.unscoped.exclude(status=CaseStatus.CLOSED).order_by("pk").iterator():
        outcome = work_rules_apply(case=case, reason=reason)
        cases += 1
        created += len(outcome.created)
        recomputed += len(outcome.recomputed)
    return cases, created, recomputed
