"""The actions tracker across meetings (own actions, all of the unit's for chairs, filtered by the
state of their task, within a query budget) and the daily reminders to owners."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from masip.accounts.models import Role
from masip.audit.models import AuditAction, AuditEvent
from masip.core.workdays import add_working_days
from masip.panel.models import AgendaItem, PanelAction
from masip.panel.services_actions import panel_reminders_send
from masip.work.models import Task, TaskKind, TaskStatus
from tests.conftest import verified_client
from tests.factories import member
from tests.panel.helpers import make_panel

pytestmark = pytest.mark.django_db


def _action(panel, *, title, owner, due, status=TaskStatus.OPEN, case=None, item=None):
    """An action as a fixture: its due date may be in the past (the service would refuse it)."""
    case = case or panel.case
    item = (
        item
        or AgendaItem.unscoped.get_or_create(
            meeting=panel.meeting, case=case, defaults={"position": AgendaItem.unscoped.count() + 1}
        )[0]
    )
    task = Task.unscoped.create(
        case=case, title=title, owner=owner, due_date=due, status=status, kind=TaskKind.PANEL_ACTION
    )
    return PanelAction.unscoped.create(
        item=item,
        meeting=panel.meeting,
        case=case,
        title=title,
        owner=owner,
        agency=owner.agency,
        due_on=due,
        task=task,
    )


@pytest.fixture
def panel():
    panel = make_panel()
    today = timezone.localdate()
    panel.overdue = _action(panel, title="Overdue warning letter", owner=panel.officer, due=today - timedelta(days=3))
    panel.open = _action(panel, title="Open forensic referral", owner=panel.clinician, due=today + timedelta(days=9))
    panel.done = _action(
        panel, title="Done safety review", owner=panel.advocate, due=today - timedelta(days=1), status=TaskStatus.DONE
    )
    # The chair oversees the other case; nobody else here can see it.
    panel.hidden = _action(
        panel, title="Hidden housing check", owner=panel.chair, due=today + timedelta(days=1), case=panel.other_case
    )
    return panel


def _titles(response):
    return {a.title for a in response.context["tracker"].actions}


def test_a_chair_tracks_every_action_of_the_unit_by_state(panel):
    client = verified_client(panel.chair)
    url = reverse("panel:actions")
    open_titles = {"Overdue warning letter", "Open forensic referral", "Hidden housing check"}
    assert _titles(client.get(url)) == open_titles  # open (overdue included) by default
    assert _titles(client.get(url + "?state=overdue")) == {"Overdue warning letter"}
    assert _titles(client.get(url + "?state=done")) == {"Done safety review"}
    assert _titles(client.get(url + "?state=all")) == {*open_titles, "Done safety review"}
    body = client.get(url + "?state=all").content.decode()
    assert panel.case.reference in body
    assert "Overdue" in body


def test_a_member_tracks_their_own_actions_and_never_a_case_they_cannot_see(panel):
    client = verified_client(panel.officer)
    assert _titles(client.get(reverse("panel:actions") + "?state=all")) == {"Overdue warning letter"}
    # An action of the other case owned by the officer, who is not on its team: not listed at all.
    _action(panel, title="Unseen case action", owner=panel.officer, due=timezone.localdate(), case=panel.other_case)
    response = client.get(reverse("panel:actions") + "?state=all")
    assert _titles(response) == {"Overdue warning letter"}
    assert panel.other_case.reference not in response.content.decode()
    # The partner attends panels but sees no case: an empty tracker.
    assert _titles(verified_client(panel.partner).get(reverse("panel:actions"))) == set()


def test_a_chair_of_another_unit_sees_none_of_these(panel):
    stranger = member(Role.UNIT_MANAGER)
    assert _titles(verified_client(stranger).get(reverse("panel:actions") + "?state=all")) == set()


def test_the_tracker_is_audited_per_unit(panel):
    verified_client(panel.chair).get(reverse("panel:actions") + "?state=done")
    [event] = AuditEvent.objects.filter(action=AuditAction.VIEW, object_type="panel.panelaction")
    assert event.actor == panel.chair
    assert event.unit == panel.unit
    assert event.detail["listed"] == [str(panel.done.pk)]


def test_the_tracker_has_a_query_budget(panel, django_assert_max_num_queries):
    for number in range(12):
        _action(panel, title=f"Extra {number}", owner=panel.officer, due=timezone.localdate() + timedelta(days=number))
    client = verified_client(panel.chair)
    client.get(reverse("panel:actions"))  # warm the session
    with django_assert_max_num_queries(8):
        response = client.get(reverse("panel:actions") + "?state=all")
    assert len(response.context["tracker"].actions) == 16


# --- reminders ---------------------------------------------------------------------------------


def test_reminders_go_to_owners_of_actions_due_soon_or_overdue_once_a_day(panel, django_capture_on_commit_callbacks):
    today = timezone.localdate()
    soon = _action(panel, title="Soon victim call", owner=panel.advocate, due=add_working_days(today, 2))
    later = _action(panel, title="Later review", owner=panel.advocate, due=add_working_days(today, 3))
    with django_capture_on_commit_callbacks(execute=True):
        sent = panel_reminders_send(site_url="https://masip.example.org", today=today)
    # The overdue one (officer), the hidden one due tomorrow (chair), the soon one (advocate);
    # not the done one, not the one due in three working days or the clinician's in nine days.
    by_to = {m.to[0]: m for m in mail.outbox}
    assert set(by_to) == {panel.officer.email, panel.chair.email, panel.advocate.email}
    assert (sent.actions, sent.owners) == (3, 3)
    for message in mail.outbox:
        text = message.subject + message.body
        assert "https://masip.example.org/panel/actions/" in text
        for leak in (panel.case.reference, panel.other_case.reference, "warning letter", "Soon victim", "housing"):
            assert leak not in text
    assert "overdue since" in by_to[panel.officer.email].body
    reminded = PanelAction.unscoped.filter(reminded_on=today)
    assert set(reminded.values_list("pk", flat=True)) == {panel.overdue.pk, panel.hidden.pk, soon.pk}
    assert PanelAction.unscoped.get(pk=later.pk).reminded_on is None
    assert AuditEvent.objects.filter(action=AuditAction.CHANGE, fields=["reminded_on"]).count() == 3
    # Again the same day: nothing more.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert panel_reminders_send(today=today).actions == 0
    assert mail.outbox == []
    # The next day: reminded again, until the task is done.
    Task.unscoped.filter(pk=panel.overdue.task_id).update(status=TaskStatus.DONE)
    tomorrow = today + timedelta(days=1)
    panel_reminders_send(today=tomorrow)
    again = set(PanelAction.unscoped.filter(reminded_on=tomorrow).values_list("pk", flat=True))
    assert {panel.hidden.pk, soon.pk} <= again
    assert panel.overdue.pk not in again


def test_the_reminders_command_prints_a_count(panel, capsys, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("panel_reminders", "--site-url", "https://masip.example.org")
    assert "Reminded 2 owner(s) of 2 panel action(s)." in capsys.readouterr().out
    assert len(mail.outbox) == 2


def test_one_email_per_owner_whatever_their_number_of_actions(panel, django_capture_on_commit_callbacks):
    _action(panel, title="Second for officer", owner=panel.officer, due=timezone.localdate())
    with django_capture_on_commit_callbacks(execute=True):
        panel_reminders_send()
    to_officer = [m for m in mail.outbox if m.to == [panel.officer.email]]
    assert len(to_officer) == 1
    assert to_officer[0].subject == "2 panel actions need your attention"
