"""Tasks by hand: only the case team and the unit's managers; a stale edit is refused and says
what is different now; pages give clear answers, never a 500."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from masip.access.models import BreakGlassGrant
from masip.accounts.models import Role
from masip.audit.models import AuditEvent
from masip.work.models import Task, TaskStatus
from masip.work.services import StaleTaskError, task_complete, task_create, task_update
from tests.conftest import verified_client
from tests.factories import CaseFactory, member
from tests.work.helpers import case_with_worker, worker_on

pytestmark = pytest.mark.django_db

DUE = timezone.localdate() + timedelta(days=5)


def make(actor, case, owner=None, **kwargs):
    values = {"title": "Call the victim back", "due_date": DUE, "owner_id": owner.pk if owner else None} | kwargs
    return task_create(actor=actor, case=case, **values)


def test_a_team_member_adds_a_task_with_encrypted_details_and_an_audit_row():
    case, worker = case_with_worker()
    task = make(worker, case, owner=worker, description="Ask about the new car seen outside.")
    with connection.cursor() as cursor:
        cursor.execute("SELECT description FROM work_task WHERE id = %s", [task.pk.hex])
        stored = cursor.fetchone()[0]
    assert stored
    assert "new car" not in stored
    assert Task.unscoped.get(pk=task.pk).description == "Ask about the new car seen outside."
    event = AuditEvent.objects.order_by("-seq").first()
    assert (event.action, event.object_id, event.actor_id) == ("create", str(task.pk), worker.pk)
    assert event.fields == ["description", "due_date", "owner", "title"]


def test_only_the_case_team_and_the_units_manager_may_add_tasks():
    case, _worker = case_with_worker()
    make(member(Role.UNIT_MANAGER, unit=case.unit), case)
    outsiders = [
        member(Role.STALKING_ADVOCATE, unit=case.unit),  # same unit, not on the team
        member(Role.UNIT_MANAGER),  # another unit's manager
        member(Role.ANALYST, unit=case.unit),
    ]
    glass = member(Role.POLICE_INVESTIGATOR, unit=case.unit)
    BreakGlassGrant.objects.create(case=case, user=glass, reason="x" * 25, until=timezone.now() + timedelta(hours=1))
    for actor in [*outsiders, glass]:
        with pytest.raises(PermissionDenied):
            make(actor, case)
    assert Task.unscoped.filter(case=case).count() == 1


def test_the_owner_must_be_on_the_case_team():
    case, worker = case_with_worker()
    stranger = member(Role.STALKING_ADVOCATE, unit=case.unit)
    with pytest.raises(ValidationError) as refused:
        make(worker, case, owner=stranger)
    assert "owner" in refused.value.message_dict
    assert not Task.unscoped.filter(case=case).exists()


def test_a_stale_edit_is_refused_with_what_changed_and_nothing_is_overwritten():
    case, first = case_with_worker()
    second = worker_on(case)
    task = make(first, case, owner=first)
    seen_by_second = Task.unscoped.get(pk=task.pk)
    later = DUE + timedelta(days=7)
    task_update(actor=first, task=task, expected_version=1, title=task.title, due_date=later, owner_id=first.pk)

    with pytest.raises(StaleTaskError) as refused:
        task_update(
            actor=second,
            task=seen_by_second,
            expected_version=1,
            title="Something else",
            due_date=DUE,
            owner_id=second.pk,
        )
    message = str(refused.value)
    assert f"changed by {first}" in message
    assert "Due date" in message
    assert f"{later:%-d %B %Y}" in message
    stored = Task.unscoped.get(pk=task.pk)
    assert (stored.title, stored.due_date, stored.owner_id, stored.version) == (task.title, later, first.pk, 2)


def test_a_done_task_cannot_be_completed_again():
    case, worker = case_with_worker()
    task = make(worker, case)
    task_complete(actor=worker, task=task, expected_version=1)
    with pytest.raises(ValidationError):
        task_complete(actor=worker, task=task, expected_version=task.version)


# --- pages ------------------------------------------------------------------------------------


def url(name, task):
    return reverse(name, kwargs={"case_id": task.case_id, "task_id": task.pk})


def test_add_edit_complete_through_the_pages():
    case, worker = case_with_worker()
    client = verified_client(worker)
    add = reverse("work:task_add", kwargs={"case_id": case.pk})
    assert client.get(add).status_code == 200
    missing = client.post(add, {"title": "", "due_date": ""})
    assert missing.status_code == 200
    assert b"Enter what needs doing." in missing.content
    created = client.post(add, {"title": "Safety plan check", "owner": worker.pk, "due_date": DUE.isoformat()})
    assert created.status_code == 302
    task = Task.unscoped.get(case=case)
    case_page = client.get(reverse("cases:detail", kwargs={"case_id": case.pk}))
    assert b"Safety plan check" in case_page.content
    assert b'id="tasks"' in case_page.content

    edit = client.post(
        url("work:task_edit", task),
        {"title": "Safety plan review", "owner": "", "due_date": DUE.isoformat(), "version": 1},
    )
    assert edit.status_code == 302
    stale = client.post(
        url("work:task_edit", task),
        {"title": "Old title", "owner": worker.pk, "due_date": DUE.isoformat(), "version": 1},
    )
    assert stale.status_code == 200
    assert b"was changed by" in stale.content
    assert b"Owner (nobody)" in stale.content
    assert Task.unscoped.get(pk=task.pk).title == "Safety plan review"

    assert client.post(url("work:task_complete", task), {"version": 2}).status_code == 302
    assert Task.unscoped.get(pk=task.pk).status == TaskStatus.DONE
    again = client.post(url("work:task_complete", task), {"version": 3}, follow=True)
    assert again.status_code == 200
    assert b"already done" in again.content


def test_a_task_of_another_case_is_the_same_404():
    case, worker = case_with_worker()
    other_case, other_worker = case_with_worker(unit=case.unit)
    task = make(other_worker, other_case)
    client = verified_client(worker)
    wrong = reverse("work:task_detail", kwargs={"case_id": case.pk, "task_id": task.pk})
    assert client.get(wrong).status_code == 404
    bad = reverse("work:task_detail", kwargs={"case_id": case.pk, "task_id": "not-a-uuid"})
    assert client.get(bad).status_code == 404


def test_a_manager_of_another_unit_cannot_reach_the_task_pages():
    case, worker = case_with_worker()
    task = make(worker, case)
    client = verified_client(member(Role.UNIT_MANAGER, unit=CaseFactory().unit))
    for name in ("work:task_detail", "work:task_edit", "work:task_complete", "work:task_cancel"):
        assert client.get(url(name, task)).status_code == 404
