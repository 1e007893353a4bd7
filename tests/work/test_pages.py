"""My work and the unit's caseloads: what they show, that the reading is audited, and that the
number of queries does not grow with the caseload."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from masip.access.models import BreakGlassGrant
from masip.accounts.models import Role
from masip.audit.models import AuditEvent
from masip.cases.models import CaseStatus
from masip.work.models import Task
from tests.conftest import verified_client
from tests.factories import CaseFactory, TeamMemberFactory, UnitFactory, member
from tests.work.helpers import worker_on

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def task(case, owner, days, title="Task"):
    return Task.unscoped.create(case=case, owner=owner, title=title, due_date=TODAY + timedelta(days=days))


def test_my_work_shows_my_cases_my_tasks_overdue_first_and_alerts():
    unit = UnitFactory()
    me = member(Role.STALKING_ADVOCATE, unit=unit)
    colleague = member(Role.POLICE_INVESTIGATOR, unit=unit)
    mine = CaseFactory(unit=unit, reference="MINE-1")
    TeamMemberFactory(case=mine, user=me, granted_by=colleague)
    TeamMemberFactory(case=mine, user=colleague)
    closed = CaseFactory(unit=unit, reference="CLOSED-1", status=CaseStatus.CLOSED)
    TeamMemberFactory(case=closed, user=me)
    not_mine = CaseFactory(unit=unit, reference="OTHER-1")
    TeamMemberFactory(case=not_mine, user=colleague)
    task(mine, me, -2, "Late thing")
    task(mine, me, 3, "Soon thing")
    task(mine, colleague, -1, "Colleague's thing")
    glass = member(Role.CLINICIAN, unit=unit)
    BreakGlassGrant.objects.create(case=mine, user=glass, reason="x" * 25, until=timezone.now() + timedelta(hours=1))

    page = verified_client(me).get(reverse("work:mine"))

    assert page.status_code == 200
    html = page.content.decode()
    assert "MINE-1" in html
    assert "CLOSED-1" not in html
    assert "OTHER-1" not in html
    assert "Late thing" in html
    assert "Soon thing" in html
    assert "Colleague's thing" not in html
    assert html.index("Late thing") < html.index("Soon thing")
    assert html.count("govuk-tag--red") == 1  # the overdue one
    assert f"{glass} opened the case through break-glass" in html
    assert "You were added to the case team" in html
    work = page.context["work"]
    assert [t.title for t in work.overdue] == ["Late thing"]
    assert [t.title for t in work.upcoming] == ["Soon thing"]
    listed = AuditEvent.objects.filter(actor=me, action="view", object_type="work.task").get()
    assert sorted(listed.detail["listed"]) == sorted(str(t.pk) for t in work.overdue + work.upcoming)


def test_my_work_is_in_the_navigation_of_case_workers_only():
    worker = verified_client(member(Role.OUTREACH_WORKER))
    assert b"My work" in worker.get(reverse("accounts:profile")).content
    analyst = verified_client(member(Role.ANALYST))
    assert b"My work" not in analyst.get(reverse("accounts:profile")).content
    assert analyst.get(reverse("work:mine")).status_code == 403


def _queries(client, url):
    client.get(url)  # the session's last-seen time is written at most once a minute: not in what is counted
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def _load(unit, me, n):
    for _ in range(n):
        case = CaseFactory(unit=unit)
        TeamMemberFactory(case=case, user=me)
        other = member(Role.CLINICIAN, unit=unit)
        TeamMemberFactory(case=case, user=other)
        task(case, me, -1)
        task(case, me, 2)
        task(case, other, 1)
        BreakGlassGrant.objects.create(
            case=case, user=other, reason="x" * 25, until=timezone.now() + timedelta(hours=1)
        )


def test_my_work_queries_do_not_grow_with_the_caseload():
    unit = UnitFactory()
    me = member(Role.STALKING_ADVOCATE, unit=unit)
    client = verified_client(me)
    _load(unit, me, 2)
    few = _queries(client, reverse("work:mine"))
    _load(unit, me, 6)
    assert _queries(client, reverse("work:mine")) == few


def test_caseloads_count_each_members_open_cases_and_tasks():
    unit = UnitFactory()
    manager = member(Role.UNIT_MANAGER, unit=unit, full_name="Manager")
    case = CaseFactory(unit=unit)
    advocate = worker_on(case)
    other_case = CaseFactory(unit=unit)
    TeamMemberFactory(case=other_case, user=advocate)
    closed = CaseFactory(unit=unit, status=CaseStatus.CLOSED)
    TeamMemberFactory(case=closed, user=advocate)
    task(case, advocate, -3)
    task(other_case, advocate, 1)
    task(case, None, 1)
    idle = member(Role.CLINICIAN, unit=unit)
    elsewhere = CaseFactory()  # another unit: never counted
    task(elsewhere, worker_on(elsewhere), -1)

    page = verified_client(manager).get(reverse("work:caseloads"))

    assert page.status_code == 200
    [group] = page.context["units"]
    counts = {load.user: (load.open_cases, load.open_tasks, load.overdue_tasks) for load in group.rows}
    assert counts[advocate] == (2, 2, 1)
    assert counts[idle] == (0, 0, 0)
    assert counts[manager] == (0, 0, 0)
    assert counts[None] == (0, 1, 0)
    assert AuditEvent.objects.filter(actor=manager, object_type="work.caseload", unit=unit).exists()


def test_caseloads_are_for_managers_and_their_queries_do_not_grow():
    unit = UnitFactory()
    manager = member(Role.UNIT_MANAGER, unit=unit)
    client = verified_client(manager)
    _load(unit, member(Role.STALKING_ADVOCATE, unit=unit), 2)
    few = _queries(client, reverse("work:caseloads"))
    _load(unit, member(Role.STALKING_ADVOCATE, unit=unit), 6)
    assert _queries(client, reverse("work:caseloads")) == few
    assert verified_client(member(Role.STALKING_ADVOCATE, unit=unit)).get(reverse("work:caseloads")).status_code == 403
