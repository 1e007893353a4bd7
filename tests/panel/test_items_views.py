"""Recording at a meeting through the pages: forms with their refusals on them, the item that must
belong to the case, who may record, and the item's record as the item page shows it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from masip.audit.models import AuditAction, AuditEvent
from masip.panel import services_actions, services_items
from masip.panel.models import AgendaItem, Attendance, DiscussionNote, ItemDecision, ItemStatus, PanelAction
from masip.work.models import Task
from tests.conftest import verified_client
from tests.panel.helpers import make_panel

pytestmark = pytest.mark.django_db

HEALTH_DETAIL = "Reported command hallucinations naming the victim."
TEAM_SUMMARY = "Panel summary: escalation through new social media accounts."


@pytest.fixture
def panel():
    panel = make_panel()
    panel.attend_all()
    panel.item = AgendaItem.unscoped.create(meeting=panel.meeting, case=panel.case, position=1)
    return panel


def _url(name, panel, item=None):
    return reverse(f"panel_case:{name}", kwargs={"case_id": panel.case.pk, "item_id": (item or panel.item).pk})


def test_a_note_is_recorded_from_its_form(panel):
    client = verified_client(panel.clinician)
    page = client.get(_url("note_add", panel))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'value="health"' in body
    assert 'value="victim_contact"' not in body
    response = client.post(_url("note_add", panel), {"compartment": "health", "text": HEALTH_DETAIL})
    assert response.status_code == 302
    note = DiscussionNote.unscoped.get()
    assert (note.compartment, note.text, note.item) == ("health", HEALTH_DETAIL, panel.item)


def test_a_note_without_text_is_shown_again_with_the_message(panel):
    response = verified_client(panel.officer).post(_url("note_add", panel), {"compartment": "team", "text": ""})
    assert response.status_code == 200
    assert "Enter what was said about the case." in response.content.decode()
    assert 'class="govuk-error-summary"' in response.content.decode()
    assert not DiscussionNote.unscoped.exists()


def test_an_item_of_another_case_is_not_found(panel):
    other_item = AgendaItem.unscoped.create(meeting=panel.meeting, case=panel.other_case, position=2)
    url = reverse("panel_case:note_add", kwargs={"case_id": panel.case.pk, "item_id": other_item.pk})
    assert verified_client(panel.chair).get(url).status_code == 404
    bad = reverse("panel_case:note_add", kwargs={"case_id": panel.case.pk, "item_id": "not-an-id"})
    assert verified_client(panel.chair).get(bad).status_code == 404
    assert AuditEvent.objects.filter(action=AuditAction.DENIED).count() == 2


def test_a_member_not_recorded_as_attending_is_refused_with_a_message(panel):
    panel.meeting.members.filter(user=panel.advocate).update(attendance=Attendance.ABSENT)
    client = verified_client(panel.advocate)
    page = client.get(_url("note_add", panel))
    assert page.status_code == 403
    response = client.post(_url("note_add", panel), {"compartment": "team", "text": TEAM_SUMMARY})
    assert response.status_code == 403
    assert not DiscussionNote.unscoped.exists()


def test_a_meeting_not_open_shows_why_instead_of_the_form(panel):
    type(panel.meeting).objects.filter(pk=panel.meeting.pk).update(status="scheduled")
    page = verified_client(panel.officer).get(_url("decision_add", panel))
    assert page.status_code == 200
    body = page.content.decode()
    assert "has not been opened yet" in body
    assert '<form method="post" novalidate' not in body


def test_a_decision_form_warns_and_refuses_an_inquorate_panel(panel):
    panel.meeting.members.exclude(user=panel.chair).update(attendance=Attendance.APOLOGIES)
    client = verified_client(panel.chair)
    page = client.get(_url("decision_add", panel))
    assert "The panel is not quorate" in page.content.decode()
    option = services_items.decision_options_for(unit=panel.unit)[0]
    response = client.post(_url("decision_add", panel), {"option": option.pk, "detail": ""})
    assert response.status_code == 200
    assert "cannot decide" in response.content.decode()
    assert not ItemDecision.unscoped.exists()


def test_other_without_words_is_refused_on_the_form(panel):
    other = next(o for o in services_items.decision_options_for(unit=panel.unit) if o.key == "other")
    response = verified_client(panel.chair).post(_url("decision_add", panel), {"option": other.pk, "detail": ""})
    assert "Say in words what the panel decided" in response.content.decode()
    assert not ItemDecision.unscoped.exists()


def test_an_action_is_recorded_from_its_form_and_refusals_name_the_fields(panel):
    client = verified_client(panel.chair)
    page = client.get(_url("action_add", panel))
    assert "Olive Officer" in page.content.decode()
    assert "Pat Probation" not in page.content.decode()  # works no cases
    yesterday = timezone.localdate() - timedelta(days=1)
    response = client.post(_url("action_add", panel), {"title": "Warn", "owner": "", "due_on": yesterday})
    body = response.content.decode()
    assert "every action needs an owner" in body
    assert not Task.unscoped.exists()
    response = client.post(_url("action_add", panel), {"title": "Warn", "owner": panel.officer.pk, "due_on": yesterday})
    assert "The due date is in the past" in response.content.decode()
    assert not Task.unscoped.exists()
    due = timezone.localdate() + timedelta(days=3)
    response = client.post(
        _url("action_add", panel), {"title": "Serve a warning letter", "owner": panel.officer.pk, "due_on": due}
    )
    assert response.status_code == 302
    action = PanelAction.unscoped.select_related("task").get()
    assert (action.task.owner, action.task.due_date) == (panel.officer, due)


def test_the_outcome_form_refuses_a_past_review_date(panel):
    client = verified_client(panel.chair)
    past = timezone.localdate() - timedelta(days=2)
    response = client.post(_url("item_outcome", panel), {"version": 1, "status": "discussed", "next_review_on": past})
    assert "The next review date is in the past" in response.content.decode()
    future = timezone.localdate() + timedelta(days=14)
    response = client.post(_url("item_outcome", panel), {"version": 1, "status": "discussed", "next_review_on": future})
    assert response.status_code == 302
    item = AgendaItem.unscoped.get(pk=panel.item.pk)
    assert (item.status, item.next_review_on) == (ItemStatus.DISCUSSED, future)
    stale = client.post(_url("item_outcome", panel), {"version": 1, "status": "deferred"})
    assert stale.status_code == 409
    assert "after you opened the page" in stale.content.decode()


# --- the item's record, as the item page includes it ---------------------------------------------


def _render_record(panel, user, entitled=True):
    request = RequestFactory().get("/")
    request.user = user
    template = Template("{% load panel_record %}{% panel_item_record item %}")
    context = {"request": request, "item": panel.item, "meeting": panel.meeting, "case": panel.case}
    return template.render(Context({**context, "entitled": entitled}))


def test_the_record_shows_each_viewer_what_they_may_read(panel):
    services_items.discussion_note_add(actor=panel.clinician, item=panel.item, compartment="health", text=HEALTH_DETAIL)
    services_items.discussion_note_add(actor=panel.chair, item=panel.item, compartment="team", text=TEAM_SUMMARY)
    option = services_items.decision_options_for(unit=panel.unit)[0]
    services_items.item_decision_add(actor=panel.chair, item=panel.item, option_id=option.pk, detail="")
    services_actions.panel_action_add(
        actor=panel.chair,
        item=panel.item,
        title="Refer to the forensic service",
        detail="",
        owner_id=panel.clinician.pk,
        agency_id=None,
        due_on=timezone.localdate() + timedelta(days=5),
    )
    for_clinician = _render_record(panel, panel.clinician)
    assert HEALTH_DETAIL in for_clinician
    assert TEAM_SUMMARY in for_clinician
    for user in (panel.advocate, panel.chair):
        shown = _render_record(panel, user)
        assert HEALTH_DETAIL not in shown
        assert TEAM_SUMMARY in shown
        assert option.label in shown
        assert "Refer to the forensic service" in shown
        assert "Cleo Clinician" in shown
        assert "Record a decision" in shown
    restricted = _render_record(panel, panel.partner, entitled=False)
    assert "Restricted" in restricted
    assert TEAM_SUMMARY not in restricted


def test_the_record_offers_no_links_to_those_who_may_not_record(panel):
    panel.meeting.members.filter(user=panel.advocate).update(attendance=Attendance.APOLOGIES)
    shown = _render_record(panel, panel.advocate)
    assert "Record a decision" not in shown
    assert "Record what was said" not in shown
