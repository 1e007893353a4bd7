"""The chair's edits of the agenda and members' requests to bring a case: what they write, what
they refuse (with a message saying what to do), and their audit events."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from masip.audit.models import AuditAction, AuditEvent
from masip.cases.models import Case, CaseStatus
from masip.panel.models import (
    AgendaItem,
    AgendaRequest,
    ItemReason,
    ItemStatus,
    Meeting,
    MeetingStatus,
    Minutes,
    MinutesStatus,
    RequestStatus,
)
from tests.conftest import verified_client
from tests.factories import CaseFactory, UnitFactory
from tests.panel.helpers import make_panel

pytestmark = pytest.mark.django_db


def _events_since(before: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.order_by("seq")[before:])


def _writes_since(before: int) -> list[AuditEvent]:
    """The changes written (reads and the test client's sign-in left out)."""
    return [e for e in _events_since(before) if e.action not in (AuditAction.VIEW, AuditAction.LOGIN)]


def _add(client, meeting, reference):
    return client.post(reverse("panel:agenda_item_add", kwargs={"meeting_id": meeting.pk}), {"reference": reference})


def _items(meeting):
    return list(AgendaItem.unscoped.filter(meeting=meeting).select_related("case").order_by("position"))


def test_the_chair_adds_a_case_by_its_reference():
    panel = make_panel()
    client = verified_client(panel.chair)
    before = AuditEvent.objects.count()

    response = _add(client, panel.meeting, f"  {panel.case.reference.lower()} ")

    assert response.status_code == 302
    (item,) = _items(panel.meeting)
    assert (item.case, item.position, item.reasons) == (panel.case, 1, [ItemReason.ADDED_BY_CHAIR])
    (event,) = _writes_since(before)
    assert (event.action, event.actor, event.case_id, event.object_id) == (
        AuditAction.CREATE,
        panel.chair,
        panel.case.pk,
        str(item.pk),
    )


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("unknown", "There is no open case NOPE-1 in this unit that you can see"),
        ("other_unit", "in this unit that you can see"),
        ("closed", "is closed. Reopen it first"),
        ("duplicate", "is already item 1 on this agenda"),
        ("empty", "Enter the case reference"),
    ],
)
def test_adding_a_case_that_cannot_be_added_says_why_and_writes_nothing(setup, message):
    panel = make_panel()
    reference = {"unknown": "NOPE-1", "empty": ""}.get(setup, panel.case.reference)
    if setup == "other_unit":
        reference = CaseFactory(unit=UnitFactory()).reference
    if setup == "closed":
        Case.unscoped.filter(pk=panel.case.pk).update(status=CaseStatus.CLOSED)
    if setup == "duplicate":
        AgendaItem.unscoped.create(meeting=panel.meeting, case=panel.case, position=1)
    count = AgendaItem.unscoped.count()
    before = AuditEvent.objects.count()

    response = _add(verified_client(panel.chair), panel.meeting, reference)

    assert response.status_code == 200
    assert "There is a problem" in response.text
    assert message in response.text
    assert AgendaItem.unscoped.count() == count
    assert _writes_since(before) == []


@pytest.mark.parametrize("state", ["cancelled", "locked"])
def test_the_agenda_of_a_cancelled_or_locked_meeting_cannot_change(state):
    panel = make_panel()
    item = AgendaItem.unscoped.create(meeting=panel.meeting, case=panel.case, position=1)
    other = AgendaItem.unscoped.create(meeting=panel.meeting, case=panel.other_case, position=2)
    if state == "cancelled":
        Meeting.objects.filter(pk=panel.meeting.pk).update(status=MeetingStatus.CANCELLED)
        expected = "This meeting was cancelled, so its agenda cannot change."
    else:
        Meeting.objects.filter(pk=panel.meeting.pk).update(status=MeetingStatus.CLOSED)
        Minutes.objects.create(meeting=panel.meeting, status=MinutesStatus.APPROVED, approved_at=timezone.now())
        expected = "are locked"
    client = verified_client(panel.chair)
    before = AuditEvent.objects.count()

    page = client.get(reverse("panel:agenda", kwargs={"meeting_id": panel.meeting.pk}))
    assert expected in page.text
    assert "Add to the agenda" not in page.text
    assert "Take off" not in page.text

    added = _add(client, panel.meeting, CaseFactory(unit=panel.unit).reference)
    assert expected in added.text
    kwargs = {"meeting_id": panel.meeting.pk, "item_id": other.pk}
    moved = client.post(
        reverse("panel:agenda_item_move", kwargs=kwargs), {"direction": "up", "version": other.version}, follow=True
    )
    assert expected in moved.text
    kwargs["item_id"] = item.pk
    withdrawn = client.post(reverse("panel:agenda_item_withdraw", kwargs=kwargs), {"version": 1}, follow=True)
    assert expected in withdrawn.text
    built = client.post(reverse("panel:agenda_build", kwargs={"meeting_id": panel.meeting.pk}), follow=True)
    assert expected in built.text

    assert [(i.case, i.position, i.status) for i in _items(panel.meeting)] == [
        (panel.case, 1, ItemStatus.PENDING),
        (panel.other_case, 2, ItemStatus.PENDING),
    ]
    assert _writes_since(before) == []


def test_moving_keeps_positions_contiguous_and_refuses_stale_edits():
    panel = make_panel()
    third_case = CaseFactory(unit=panel.unit)
    first = AgendaItem.unscoped.create(meeting=panel.meeting, case=panel.case, position=1)
    AgendaItem.unscoped.create(meeting=panel.meeting, case=panel.other_case, position=2)
    third = AgendaItem.unscoped.create(meeting=panel.meeting, case=third_case, position=3)
    client = verified_client(panel.chair)
    url = reverse("panel:agenda_item_move", kwargs={"meeting_id": panel.meeting.pk, "item_id": third.pk})
    before = AuditEvent.objects.count()

    client.post(url, {"direction": "up", "version": third.version})

    assert [(i.case, i.position) for i in _items(panel.meeting)] == [
        (panel.case, 1),
        (third_case, 2),
        (panel.other_case, 3),
    ]
    (event,) = _writes_since(before)
    assert (event.action, event.case_id, event.fields) == (AuditAction.CHANGE, third_case.pk, ["position"])

    # The same form again (its version is now stale): refused, nothing moves.
    response = client.post(url, {"direction": "up", "version": third.version}, follow=True)
    assert "Someone changed the agenda after you opened it" in response.text
    # The first item cannot go further up.
    first.refresh_from_db()
    first_url = reverse("panel:agenda_item_move", kwargs={"meeting_id": panel.meeting.pk, "item_id": first.pk})
    response = client.post(first_url, {"direction": "up", "version": first.version}, follow=True)
    assert "Item 1 is already first on the agenda." in response.text
    assert [i.position for i in _items(panel.meeting)] == [1, 2, 3]
    assert [i.case for i in _items(panel.meeting)] == [panel.case, third_case, panel.other_case]


def test_withdrawing_keeps_the_item_listed_struck_through():
    panel = make_panel()
    item = AgendaItem.unscoped.create(meeting=panel.meeting, case=panel.case, position=1)
    client = verified_client(panel.chair)
    url = reverse("panel:agenda_item_withdraw", kwargs={"meeting_id": panel.meeting.pk, "item_id": item.pk})
    before = AuditEvent.objects.count()

    response = client.post(url, {"version": item.version}, follow=True)

    item.refresh_from_db()
    assert item.status == ItemStatus.WITHDRAWN
    assert "<s>Item 1</s>" in response.text
    assert "Taken off the agenda" in response.text
    (event,) = _writes_since(before)
    assert (event.action, event.case_id, event.fields) == (AuditAction.CHANGE, panel.case.pk, ["status"])
    again = client.post(url, {"version": item.version}, follow=True)
    assert "Item 1 is already off the agenda." in again.text


def test_only_the_chair_may_edit():
    panel = make_panel()
    item = AgendaItem.unscoped.create(meeting=panel.meeting, case=panel.case, position=1)
    client = verified_client(panel.officer)
    kwargs = {"meeting_id": panel.meeting.pk, "item_id": item.pk}
    assert client.post(reverse("panel:agenda_item_withdraw", kwargs=kwargs), {"version": 1}).status_code == 403
    assert _add(client, panel.meeting, panel.other_case.reference).status_code == 403
    item.refresh_from_db()
    assert item.status == ItemStatus.PENDING


def test_a_team_member_asks_to_bring_a_case_and_the_chair_declines_it():
    panel = make_panel()
    client = verified_client(panel.advocate)
    url = reverse("panel_case:request", kwargs={"case_id": panel.case.pk})
    case_page = client.get(reverse("cases:detail", kwargs={"case_id": panel.case.pk}))
    assert url in case_page.text
    assert "Ask to bring this case to the panel" in case_page.text

    empty = client.post(url, {"reason": "  "})
    assert "Say why the panel should discuss this case." in empty.text
    assert not AgendaRequest.unscoped.exists()

    before = AuditEvent.objects.count()
    client.post(url, {"reason": "New threats at the victim's work"})
    agenda_request = AgendaRequest.unscoped.get()
    assert (agenda_request.unit, agenda_request.case, agenda_request.status) == (
        panel.unit,
        panel.case,
        RequestStatus.OPEN,
    )
    (event,) = _writes_since(before)
    assert (event.action, event.case_id, event.fields) == (AuditAction.CREATE, panel.case.pk, ["reason"])
    twice = client.post(url, {"reason": "Again"})
    assert "the chair has not yet placed it" in twice.text
    assert AgendaRequest.unscoped.count() == 1

    chair = verified_client(panel.chair)
    listing = chair.get(reverse("panel:requests"))
    assert "New threats at the victim&#x27;s work" in listing.text
    decline_url = reverse("panel:request_decline", kwargs={"request_id": agenda_request.pk})
    missing = chair.post(decline_url, {"reason": "", "version": agenda_request.version})
    assert "Say why the case will not be brought to the panel." in missing.text
    before = AuditEvent.objects.count()
    chair.post(decline_url, {"reason": "Discussed at MARAC this week", "version": agenda_request.version})
    agenda_request.refresh_from_db()
    assert (agenda_request.status, agenda_request.declined_reason, agenda_request.handled_by) == (
        RequestStatus.DECLINED,
        "Discussed at MARAC this week",
        panel.chair,
    )
    (event,) = _writes_since(before)
    assert (event.action, event.fields) == (AuditAction.CHANGE, ["declined_reason", "status"])
    stale = chair.post(decline_url, {"reason": "Again", "version": 1}, follow=True)
    assert "Someone handled this request after you opened it" in stale.text
    assert "No request is waiting." in chair.get(reverse("panel:requests")).text


def test_the_partner_cannot_ask_and_a_closed_case_cannot_be_asked_for():
    panel = make_panel()
    url = reverse("panel_case:request", kwargs={"case_id": panel.case.pk})
    assert verified_client(panel.partner).post(url, {"reason": "Please"}).status_code in (403, 404)
    Case.unscoped.filter(pk=panel.case.pk).update(status=CaseStatus.CLOSED, closed_at=timezone.now() - timedelta(1))
    response = verified_client(panel.officer).post(url, {"reason": "Please"})
    assert "This case is closed." in response.text
    assert not AgendaRequest.unscoped.exists()
