"""The agenda and item pages as each member sees them: restricted items show their place and
the word only, compartments hold on the item page, reads are audited, and the agenda's queries
do not grow with its items."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from masip.access.policy import Compartment
from masip.audit.models import AuditAction, AuditEvent
from masip.cases.models import Case, RiskLevel
from masip.panel.models import AgendaItem, DeclarationOfInterest, ItemReason, ItemStatus
from masip.risk.models import RiskEvent, RiskEventKind
from masip.timeline.models import TimelineEntry
from tests.conftest import verified_client
from tests.factories import CaseFactory, ParticipantFactory, TeamMemberFactory, member
from tests.panel.agenda_helpers import red_flag
from tests.panel.helpers import make_panel

pytestmark = pytest.mark.django_db


def _two_items(panel):
    Case.unscoped.filter(pk=panel.case.pk).update(risk_level=RiskLevel.HIGH)
    item = AgendaItem.unscoped.create(
        meeting=panel.meeting, case=panel.case, position=1, reasons=[ItemReason.RED_FLAG, ItemReason.REVIEW_DUE]
    )
    other = AgendaItem.unscoped.create(
        meeting=panel.meeting, case=panel.other_case, position=2, reasons=[ItemReason.NEW_REFERRAL]
    )
    return item, other


def _agenda(user, panel):
    return verified_client(user).get(reverse("panel:agenda", kwargs={"meeting_id": panel.meeting.pk}))


def _item_page(user, panel, item):
    return verified_client(user).get(
        reverse("panel:item_detail", kwargs={"meeting_id": panel.meeting.pk, "item_id": item.pk})
    )


def test_members_see_the_items_they_are_entitled_to_and_restricted_otherwise():
    panel = make_panel()
    item, other = _two_items(panel)

    officer = _agenda(panel.officer, panel)
    assert officer.status_code == 200
    assert panel.case.reference in officer.text
    assert "New red flag since the last meeting" in officer.text
    assert "Review due" in officer.text
    assert "High" in officer.text  # the risk in words, not colour alone
    assert "Item 2: restricted" in officer.text
    assert panel.other_case.reference not in officer.text
    assert "Newly accepted referral" not in officer.text  # the restricted item's reason
    assert "Add to the agenda" not in officer.text
    assert "Take off" not in officer.text

    partner = _agenda(panel.partner, panel)
    assert "Item 1: restricted" in partner.text
    assert "Item 2: restricted" in partner.text
    for secret in (panel.case.reference, panel.other_case.reference, "red flag", "High", str(item.pk), str(other.pk)):
        assert secret not in partner.text

    chair = _agenda(panel.chair, panel)
    assert panel.case.reference in chair.text
    assert panel.other_case.reference in chair.text
    assert "Add to the agenda" in chair.text
    assert "Build the agenda" in chair.text


def test_the_restricted_item_page_says_restricted_only():
    panel = make_panel()
    item, _ = _two_items(panel)
    response = _item_page(panel.partner, panel, item)
    assert response.status_code == 200
    assert "Item 1: restricted" in response.text
    for secret in (panel.case.reference, "red flag", "High", panel.case.summary, "What changed"):
        assert secret not in response.text


def test_a_member_who_withdrew_from_an_item_sees_it_restricted():
    panel = make_panel()
    item, _ = _two_items(panel)
    DeclarationOfInterest.objects.create(
        meeting=panel.meeting,
        member=panel.member_of(panel.officer),
        item=item,
        statement="Related to the suspect's employer.",
        withdrew=True,
        recorded_by=panel.chair,
    )
    agenda = _agenda(panel.officer, panel)
    assert "Item 1: restricted" in agenda.text
    assert panel.case.reference not in agenda.text
    page = _item_page(panel.officer, panel, item)
    assert "Item 1: restricted" in page.text
    assert panel.case.reference not in page.text
    # The clinician did not withdraw: the item is theirs to see.
    assert panel.case.reference in _agenda(panel.clinician, panel).text


def test_the_item_page_shows_the_case_and_what_changed_within_compartments():
    panel = make_panel()
    item, _ = _two_items(panel)
    victim = ParticipantFactory(case=panel.case)
    team_entry = TimelineEntry.unscoped.create(
        case=panel.case, occurred_on=timezone.localdate(), reported_by="victim", compartment=Compartment.TEAM
    )
    health_entry = TimelineEntry.unscoped.create(
        case=panel.case, occurred_on=timezone.localdate(), reported_by="victim", compartment=Compartment.HEALTH
    )
    RiskEvent.unscoped.create(case=panel.case, kind=RiskEventKind.BREACH, occurred_on=timezone.localdate())
    red_flag(panel.case, timezone.now(), title="Approach at the victim's home")
    red_flag(
        panel.case, timezone.now(), compartment=Compartment.HEALTH, title="Clinical deterioration", fingerprint="h"
    )

    clinician = _item_page(panel.clinician, panel, item)
    assert clinician.status_code == 200
    assert panel.case.reference in clinician.text
    assert panel.case.summary.replace("'", "&#x27;") in clinician.text
    assert victim.person.display_name in clinician.text
    assert "High" in clinician.text
    assert "Breach of an order or bail condition" in clinician.text
    assert str(team_entry.pk) in clinician.text
    assert str(health_entry.pk) in clinician.text
    assert "Clinical deterioration" in clinician.text
    assert "in-meeting record" not in clinician.text  # the included template is a comment for now

    advocate = _item_page(panel.advocate, panel, item)
    assert str(team_entry.pk) in advocate.text
    assert str(health_entry.pk) not in advocate.text
    assert "Clinical deterioration" not in advocate.text
    assert "Approach at the victim&#x27;s home" in advocate.text


def test_what_changed_counts_from_the_last_discussion():
    panel = make_panel()
    item, _ = _two_items(panel)
    earlier = panel.meeting.__class__.objects.create(
        unit=panel.unit,
        chair=panel.chair,
        starts_at=timezone.now() - timedelta(days=7),
        ends_at=timezone.now() - timedelta(days=7, hours=-1),
    )
    AgendaItem.unscoped.create(
        meeting=earlier,
        case=panel.case,
        position=1,
        status=ItemStatus.DISCUSSED,
        discussed_at=timezone.now() - timedelta(days=7),
    )
    before = TimelineEntry.unscoped.create(case=panel.case, occurred_on=timezone.localdate(), reported_by="victim")
    TimelineEntry.unscoped.filter(pk=before.pk).update(created_at=timezone.now() - timedelta(days=8))
    after = TimelineEntry.unscoped.create(case=panel.case, occurred_on=timezone.localdate(), reported_by="victim")

    page = _item_page(panel.officer, panel, item)

    assert "since the panel last discussed it" in page.text
    assert str(after.pk) in page.text
    assert str(before.pk) not in page.text


def test_reading_an_item_is_audited():
    panel = make_panel()
    item, _ = _two_items(panel)
    entry = TimelineEntry.unscoped.create(case=panel.case, occurred_on=timezone.localdate(), reported_by="victim")
    client = verified_client(panel.officer)
    before = AuditEvent.objects.count()
    client.get(reverse("panel:item_detail", kwargs={"meeting_id": panel.meeting.pk, "item_id": item.pk}))
    views = [e for e in AuditEvent.objects.order_by("seq")[before:] if e.action == AuditAction.VIEW]
    assert ("cases.case", str(panel.case.pk)) in [(e.object_type, e.object_id) for e in views]
    listed = {e.object_type: e.detail.get("listed") for e in views if e.object_type == "timeline.timelineentry"}
    assert listed == {"timeline.timelineentry": [str(entry.pk)]}
    assert all(e.case_id == panel.case.pk for e in views)

    before = AuditEvent.objects.count()
    client.get(reverse("panel:agenda", kwargs={"meeting_id": panel.meeting.pk}))
    (listing,) = [e for e in AuditEvent.objects.order_by("seq")[before:] if e.action == AuditAction.VIEW]
    assert listing.detail == {"listed": [str(panel.case.pk)]}


def test_a_meeting_the_user_is_not_part_of_is_not_found():
    panel = make_panel()
    item, _ = _two_items(panel)
    outsider = member("police_investigator", unit=panel.unit)
    assert _agenda(outsider, panel).status_code == 404
    assert _item_page(outsider, panel, item).status_code == 404
    other_meeting_item = AgendaItem.unscoped.create(meeting=make_panel().meeting, case=CaseFactory(), position=1)
    assert _item_page(panel.chair, panel, other_meeting_item).status_code == 404


def test_the_agenda_page_queries_do_not_grow_with_its_items():
    panel = make_panel()
    _two_items(panel)
    client = verified_client(panel.officer)
    url = reverse("panel:agenda", kwargs={"meeting_id": panel.meeting.pk})
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for position in range(3, 9):
        case = CaseFactory(unit=panel.unit)
        if position % 2:
            TeamMemberFactory(case=case, user=panel.officer)
        AgendaItem.unscoped.create(meeting=panel.meeting, case=case, position=position, reasons=["review_due"])
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.text.count("restricted") >= 4
    assert len(many) == len(few)
    assert len(many) <= 20
