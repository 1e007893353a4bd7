"""Reads of tasks and caseloads that views share. All case data is scoped with visible_to, and
every page that shows it writes its audit rows here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils import timezone

from masip.access.lookup import get_visible_or_404
from masip.access.models import BreakGlassGrant, CaseTeamMember
from masip.access.policy import Action, Capability, Compartment, roles_with_capability
from masip.access.principal import principal_for
from masip.accounts.models import Membership, Unit, User
from masip.audit.models import AuditAction
from masip.audit.services import audit_listings_by_unit, audit_record
from masip.cases.models import Case, CaseStatus
from masip.work.models import Task, TaskKind, TaskStatus
from masip.work.services import task_may_work_on

# How far back "My work" looks for things worth knowing about.
ALERT_WINDOW = timedelta(days=7)
CLOSED_TASKS_ON_CASE_PAGE = 5


def _audit_listed(*, user: Any, request: HttpRequest | None, rows: Iterable[tuple[Unit, str]], label: str) -> None:
    """One `view` row per unit listing what a page showed, each in its own unit's log."""
    audit_listings_by_unit(actor=user, object_type=label, rows=rows, request=request)


# --- one case -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseTasks:
    """The "Tasks" section of a case page."""

    case: Case
    open: list[Task]
    recently_closed: list[Task]
    may_work: bool
    today: date


def case_tasks_for(*, user: Any, case: Case, team: Iterable[CaseTeamMember] | None = None) -> CaseTasks:
    """The case's open tasks (soonest due first) and the last few closed, for a case the user
    has already been allowed to see (its reading audited by case_get_for). Titles, owners and
    dates only: the details of a task are read, and audited, on its own page. One query when
    the caller passes the case's current `team`."""
    tasks = list(
        Task.objects.visible_to(user)
        .filter(case=case)
        .select_related("owner")
        .defer("description")
        .order_by("due_date", "created_at")
    )
    open_tasks = [t for t in tasks if t.status == TaskStatus.OPEN]
    closed = sorted((t for t in tasks if t.status != TaskStatus.OPEN), key=lambda t: t.closed_at or t.updated_at)
    may = task_may_work_on(user=user, case=case, team=team) and principal_for(user).may(
        case.unit_id, Compartment.TEAM, Action.CREATE
    )
    return CaseTasks(case, open_tasks, closed[::-1][:CLOSED_TASKS_ON_CASE_PAGE], may, timezone.localdate())


def next_review(tasks: CaseTasks) -> Task | None:
    """The case's open review task (the rules keep at most one), from its tasks already read."""
    return next((task for task in tasks.open if task.kind == TaskKind.REVIEW), None)


def next_reassessment(tasks: CaseTasks) -> Task | None:
    """The case's open re-assessment task (the rules keep at most one), from its tasks already read."""
    return next((task for task in tasks.open if task.kind == TaskKind.REASSESSMENT), None)


def task_get_for(*, user: Any, case: Case, task_id: Any, request: HttpRequest | None = None) -> Task:
    """One task of `case` the user may see, its reading audited; otherwise the audited 404."""
    tasks = Task.objects.visible_to(user).filter(case=case).select_related("case", "case__unit", "owner", "closed_by")
    task = get_visible_or_404(tasks, task_id, user=user, request=request)
    audit_record(
        action=AuditAction.VIEW,
        actor=user,
        request=request,
        unit=case.unit,
        obj=task,
        case_id=case.pk,
        fields=["title", "description", "owner", "due_date", "status"],
    )
    return task


def task_owner_choices(*, case: Case) -> list[tuple[int, str]]:
    """The case's current team as (user id, name), for choosing an owner."""
    team = CaseTeamMember.objects.active().filter(case_id=case.pk).select_related("user").order_by("since", "pk")
    seen: dict[int, str] = {}
    for member in team:
        seen.setdefault(member.user_id, f"{member.user} ({member.get_role_on_case_display()})")
    return list(seen.items())


# --- My work --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Alert:
    kind: str  # "allocated" or "break_glass"
    case: Case
    when: Any
    text: str


@dataclass(frozen=True)
class MyWork:
    cases: list[Case]
    overdue: list[Task]
    upcoming: list[Task]
    alerts: list[Alert]
    today: date


def my_work_for(*, user: Any, request: HttpRequest | None = None) -> MyWork:
    """The user's cases (where they are on the team), their open tasks split into overdue and
    the rest, and recent alerts on their cases: newly allocated to them, opened by someone
    through break-glass. Four queries whatever the numbers; what is shown is audited."""
    now = timezone.now()
    today = timezone.localdate()
    principal = principal_for(user)
    mine = CaseTeamMember.objects.active().filter(user_id=principal.user_id)
    cases = list(
        Case.objects.visible_to(user)
        .filter(pk__in=mine.values("case_id"))
        .exclude(status=CaseStatus.CLOSED)
        .select_related("unit")
        .order_by("reference")
    )
    tasks = list(
        Task.objects.visible_to(user)
        .filter(owner_id=principal.user_id, status=TaskStatus.OPEN)
        .select_related("case", "case__unit")
        .defer("description", "case__summary")
        .order_by("due_date", "created_at")
    )
    overdue = [t for t in tasks if t.due_date < today]
    upcoming = [t for t in tasks if t.due_date >= today]
    by_case = {case.pk: case for case in cases}
    alerts: list[Alert] = []
    for row in mine.filter(since__gte=now - ALERT_WINDOW).exclude(granted_by_id=principal.user_id):
        if row.case_id in by_case:
            alerts.append(Alert("allocated", by_case[row.case_id], row.since, "You were added to the case team"))
    glass = (
        BreakGlassGrant.objects.filter(case_id__in=list(by_case), since__gte=now - ALERT_WINDOW)
        .exclude(user_id=principal.user_id)
        .select_related("user")
    )
    for grant in glass:
        alerts.append(
            Alert(
                "break_glass",
                by_case[grant.case_id],
                grant.since,
                f"{grant.user} opened the case through break-glass",
            )
        )
    alerts.sort(key=lambda a: a.when, reverse=True)
    shown_cases = {c.pk: c for c in cases} | {t.case_id: t.case for t in tasks}
    _audit_listed(
        user=user, request=request, rows=((c.unit, str(c.pk)) for c in shown_cases.values()), label="cases.case"
    )
    _audit_listed(user=user, request=request, rows=((t.case.unit, str(t.pk)) for t in tasks), label="work.task")
    return MyWork(cases, overdue, upcoming, alerts, today)


# --- Caseloads ------------------------------------------------------------------------------


@dataclass
class Caseload:
    user: User | None  # None: tasks nobody owns
    open_cases: int = 0
    open_tasks: int = 0
    overdue_tasks: int = 0


@dataclass
class UnitCaseloads:
    unit: Unit
    rows: list[Caseload] = field(default_factory=list)


def caseloads_for(*, user: Any, request: HttpRequest | None = None) -> list[UnitCaseloads]:
    """For each unit whose caseload the user oversees: every case-working member with their open
    cases and open and overdue tasks, and the open tasks nobody owns. Counts only, no case named;
    four queries whatever the size of the unit. The consultation is audited per unit."""
    units = list(
        Unit.objects.filter(pk__in=principal_for(user).units_with(Capability.OVERSEE_UNIT_CASELOAD)).order_by("name")
    )
    if not units:
        return []
    unit_ids = [u.pk for u in units]
    today = timezone.localdate()
    workers = roles_with_capability(Capability.WORK_CASES)
    memberships = (
        Membership.objects.active()
        .filter(unit_id__in=unit_ids, role__in=workers)
        .select_related("user")
        .order_by("user__full_name", "user__email")
    )
    loads: dict[tuple[int, int | None], Caseload] = {}
    for membership in memberships:
        loads.setdefault((membership.unit_id, membership.user_id), Caseload(membership.user))
    visible_cases = Case.objects.visible_to(user).filter(unit_id__in=unit_ids).exclude(status=CaseStatus.CLOSED)
    team_counts = (
        CaseTeamMember.objects.active()
        .filter(case__in=visible_cases)
        .values("case__unit_id", "user_id")
        .annotate(n=Count("case_id", distinct=True))
    )
    for row in team_counts:
        key = (row["case__unit_id"], row["user_id"])
        if key in loads:
            loads[key].open_cases = row["n"]
    task_counts = (
        Task.objects.visible_to(user)
        .filter(case__in=visible_cases, status=TaskStatus.OPEN)
        .values("case__unit_id", "owner_id")
        .annotate(n=Count("pk"), late=Count("pk", filter=Q(due_date__lt=today)))
    )
    for row in task_counts:
        key = (row["case__unit_id"], row["owner_id"])
        # Tasks of someone who left the unit, or of nobody, show as unowned.
        load = loads.get(key) or loads.setdefault((row["case__unit_id"], None), Caseload(None))
        load.open_tasks += row["n"]
        load.overdue_tasks += row["late"]
    result = []
    for unit in units:
        rows = [load for (unit_id, _), load in loads.items() if unit_id == unit.pk]
        rows.sort(key=lambda load: load.user is None)
        result.append(UnitCaseloads(unit, rows))
        audit_record(
            action=AuditAction.VIEW,
            actor=user,
            request=request,
            unit=unit,
            object_type="work.caseload",
            detail={"members": [load.user.pk for load in rows if load.user is not None]},
        )
    return result
