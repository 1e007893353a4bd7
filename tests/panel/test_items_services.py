"""Recording at a meeting through the services: discussion notes kept in their compartment,
decisions from the unit's options with a quorum, actions that become tasks for their owners, the
item's outcome; every refusal writes nothing, every write its exact audit events."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from masip.access.policy import Compartment
from masip.audit.models import AuditAction, AuditEvent
from masip.core.models import StaleEditError
from masip.panel import services_actions, services_items
from masip.panel.models import (
    AgendaItem,
    Attendance,
    DecisionOption,
    DiscussionNote,
    ItemDecision,
    ItemStatus,
    Meeting,
    Minutes,
    MinutesStatus,
    PanelAction,
)
from masip.work.models import Task, TaskKind, TaskStatus
from tests.conftest import verified_client
from tests.factories import member
from tests.panel.helpers import make_panel

pytestmark = pytest.mark.django_db

HEALTH_DETAIL = "Disclosed intrusive thoughts about the victim in session; medication reviewed."
TEAM_SUMMARY = "Contact continues through new accounts; the panel agreed to escalate."


@pytest.fixture
def panel():
    panel = make_panel()
    panel.attend_all()
    panel.item = AgendaItem.unscoped.create(meeting=panel.meeting, case=panel.case, position=1)
    return panel


def _events(**filters):
    return list(AuditEvent.objects.filter(**filters).order_by("seq"))


def _writes():
    return _events(action__in=[AuditAction.CREATE, AuditAction.CHANGE])


def _options(panel):
    return {o.key: o for o in services_items.decision_options_for(unit=panel.unit)}


# --- discussion notes ----------------------------------------------------------------------------


def test_a_team_note_is_recorded_and_audited_without_its_text(panel):
    note = services_items.discussion_note_add(
        actor=panel.officer, item=panel.item, compartment=Compartment.TEAM, text=f"  {TEAM_SUMMARY}  "
    )
    assert note.text == TEAM_SUMMARY
    assert note.created_by == panel.officer
    [event] = _writes()
    assert (event.action, event.actor, event.object_id, event.case_id) == (
        AuditAction.CREATE,
        panel.officer,
        str(note.pk),
        panel.case.pk,
    )
    assert event.fields == ["compartment", "text"]
    assert "escalate" not in str(event.detail)


def test_a_clinicians_health_note_is_invisible_to_the_advocate_and_the_chair(panel):
    services_items.discussion_note_add(
        actor=panel.clinician, item=panel.item, compartment=Compartment.HEALTH, text=HEALTH_DETAIL
    )
    services_items.discussion_note_add(
        actor=panel.advocate, item=panel.item, compartment=Compartment.TEAM, text=TEAM_SUMMARY
    )
    seen = {
        user: {n.text for n in DiscussionNote.objects.visible_to(user).filter(item=panel.item)}
        for user in (panel.clinician, panel.advocate, panel.chair, panel.officer)
    }
    assert seen[panel.clinician] == {HEALTH_DETAIL, TEAM_SUMMARY}
    assert seen[panel.advocate] == {TEAM_SUMMARY}
    assert seen[panel.chair] == {TEAM_SUMMARY}  # the manager's role cannot read health
    assert seen[panel.officer] == {TEAM_SUMMARY}


def test_only_compartments_the_author_may_write_are_offered_and_never_victim_contact(panel):
    offered = services_items.note_compartments_offered
    assert offered(user=panel.clinician, unit_id=panel.unit.pk) == [Compartment.TEAM, Compartment.HEALTH]
    assert offered(user=panel.advocate, unit_id=panel.unit.pk) == [Compartment.TEAM, Compartment.ADVOCACY]
    assert offered(user=panel.officer, unit_id=panel.unit.pk) == [Compartment.TEAM, Compartment.POLICE]
    for compartment in (Compartment.HEALTH, Compartment.VICTIM_CONTACT):
        with pytest.raises(ValidationError) as refused:
            services_items.discussion_note_add(
                actor=panel.advocate, item=panel.item, compartment=compartment, text=TEAM_SUMMARY
            )
        assert refused.value.message_dict == {"compartment": ["Choose who may read the note from the list."]}
    assert not DiscussionNote.unscoped.exists()


def test_a_note_needs_its_text(panel):
    with pytest.raises(ValidationError) as refused:
        services_items.discussion_note_add(actor=panel.officer, item=panel.item, compartment="team", text="   ")
    assert refused.value.message_dict == {"text": ["Enter what was said about the case."]}
    assert not DiscussionNote.unscoped.exists()
    assert _writes() == []


def test_only_the_chair_or_a_member_recorded_as_attending_records(panel):
    panel.meeting.members.filter(user__in=[panel.advocate, panel.chair]).update(attendance=Attendance.APOLOGIES)
    with pytest.raises(PermissionDenied, match="ask the chair to record your attendance"):
        services_items.discussion_note_add(actor=panel.advocate, item=panel.item, compartment="team", text=TEAM_SUMMARY)
    # The chair records whatever their own attendance says.
    services_items.discussion_note_add(actor=panel.chair, item=panel.item, compartment="team", text=TEAM_SUMMARY)
    assert DiscussionNote.unscoped.count() == 1


@pytest.mark.parametrize(
    ("state", "message"),
    [
        ("scheduled", "has not been opened yet"),
        ("cancelled", "was cancelled"),
        ("approved", "were approved"),
    ],
)
def test_nothing_is_recorded_in_a_meeting_not_opened_cancelled_or_with_approved_minutes(panel, state, message):
    if state == "approved":
        Minutes.objects.create(meeting=panel.meeting, status=MinutesStatus.APPROVED, approved_at=timezone.now())
    else:
        Meeting.objects.filter(pk=panel.meeting.pk).update(status=state)
    item = AgendaItem.unscoped.select_related("meeting").get(pk=panel.item.pk)
    other = _options(panel)["other"]
    attempts = [
        lambda: services_items.discussion_note_add(actor=panel.officer, item=item, compartment="team", text="x"),
        lambda: services_items.item_decision_add(actor=panel.officer, item=item, option_id=other.pk, detail="x"),
        lambda: services_actions.panel_action_add(
            actor=panel.officer,
            item=item,
            title="Visit",
            detail="",
            owner_id=panel.officer.pk,
            agency_id=None,
            due_on=timezone.localdate(),
        ),
        lambda: services_items.item_outcome_record(
            actor=panel.officer, item=item, expected_version=1, status=ItemStatus.DISCUSSED, next_review_on=None
        ),
    ]
    before = AuditEvent.objects.count()
    for attempt in attempts:
        with pytest.raises(ValidationError, match=message):
            attempt()
    assert not DiscussionNote.unscoped.exists()
    assert not ItemDecision.unscoped.exists()
    assert not Task.unscoped.exists()
    assert AgendaItem.unscoped.get(pk=item.pk).status == ItemStatus.PENDING
    assert AuditEvent.objects.count() == before


# --- decisions ---------------------------------------------------------------------------------


def test_a_decision_is_one_of_the_units_active_options(panel):
    options = _options(panel)
    decision = services_items.item_decision_add(
        actor=panel.chair, item=panel.item, option_id=options["civil-order"].pk, detail=""
    )
    assert decision.option == options["civil-order"]
    [event] = _writes()[-1:]
    assert (event.action, event.object_id, event.fields) == (AuditAction.CREATE, str(decision.pk), ["option"])
    assert event.detail["option"] == "civil-order"
    DecisionOption.objects.filter(pk=options["refer-marac"].pk).update(active=False)
    with pytest.raises(ValidationError) as refused:
        services_items.item_decision_add(
            actor=panel.chair, item=panel.item, option_id=options["refer-marac"].pk, detail=""
        )
    assert refused.value.message_dict == {"option": ["Choose what the panel decided from the list."]}


def test_other_needs_the_panels_words(panel):
    other = _options(panel)["other"]
    with pytest.raises(ValidationError) as refused:
        services_items.item_decision_add(actor=panel.chair, item=panel.item, option_id=other.pk, detail=" ")
    assert "detail" in refused.value.message_dict
    decision = services_items.item_decision_add(
        actor=panel.chair, item=panel.item, option_id=other.pk, detail="Write to the employer's security team."
    )
    assert decision.detail == "Write to the employer's security team."
    assert [e.fields for e in _events(object_type="panel.itemdecision")] == [["detail", "option"]]


def test_an_inquorate_panel_cannot_decide(panel):
    panel.meeting.members.exclude(user=panel.chair).update(attendance=Attendance.APOLOGIES)
    option = _options(panel)["criminal-justice"]
    writes = len(_writes())
    with pytest.raises(ValidationError, match=r"not quorate \(1 member\(s\) attending, 3 needed"):
        services_items.item_decision_add(actor=panel.chair, item=panel.item, option_id=option.pk, detail="")
    assert not ItemDecision.unscoped.exists()
    assert len(_writes()) == writes


# --- actions -----------------------------------------------------------------------------------


def _action(panel, **overrides):
    values = {
        "actor": panel.chair,
        "item": panel.item,
        "title": "Apply for a Stalking Protection Order",
        "detail": "Statement from the victim's employer first.",
        "owner_id": panel.officer.pk,
        "agency_id": None,
        "due_on": timezone.localdate() + timedelta(days=7),
    }
    return services_actions.panel_action_add(**{**values, **overrides})


def test_an_action_becomes_a_task_on_the_case_for_its_owner_on_their_my_work(panel):
    action = _action(panel)
    task = action.task
    assert (task.case, task.owner, task.due_date, task.kind, task.status) == (
        panel.case,
        panel.officer,
        action.due_on,
        TaskKind.PANEL_ACTION,
        TaskStatus.OPEN,
    )
    assert task.title == action.title
    assert action.agency == panel.police  # the owner's agency by default
    assert action.meeting == panel.meeting
    events = _writes()
    assert [(e.action, e.object_type, e.object_id, e.fields) for e in events] == [
        (AuditAction.CREATE, "work.task", str(task.pk), ["description", "due_date", "owner", "title"]),
        (
            AuditAction.CREATE,
            "panel.panelaction",
            str(action.pk),
            ["agency", "detail", "due_on", "owner", "task", "title"],
        ),
    ]
    assert all(e.actor == panel.chair and e.case_id == panel.case.pk for e in events)
    assert "employer" not in str([e.detail for e in events])
    page = verified_client(panel.officer).get(reverse("work:mine"))
    assert "Apply for a Stalking Protection Order" in page.content.decode()


def test_an_action_may_name_another_agency(panel):
    action = _action(panel, owner_id=panel.advocate.pk, agency_id=panel.probation.pk)
    assert (action.owner, action.agency) == (panel.advocate, panel.probation)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"owner_id": None}, "owner", "every action needs an owner"),
        ({"due_on": None}, "due_on", "Enter the date the action is due."),
        ({"title": ""}, "title", "Enter what needs doing."),
    ],
)
def test_an_action_without_owner_title_or_due_date_is_refused(panel, overrides, field, message):
    with pytest.raises(ValidationError) as refused:
        _action(panel, **overrides)
    assert message in " ".join(refused.value.message_dict[field])
    assert not Task.unscoped.exists()
    assert not PanelAction.unscoped.exists()
    assert _writes() == []


def test_an_action_due_in_the_past_is_refused(panel):
    with pytest.raises(ValidationError) as refused:
        _action(panel, due_on=timezone.localdate() - timedelta(days=1))
    assert refused.value.message_dict == {"due_on": ["The due date is in the past. Enter today's date or a later one."]}
    assert not Task.unscoped.exists()
    _action(panel, due_on=timezone.localdate())  # today is fine


def test_the_owner_is_a_member_of_the_unit_who_works_cases(panel):
    # The probation partner attends the panel but works no cases.
    with pytest.raises(ValidationError) as refused:
        _action(panel, owner_id=panel.partner.pk)
    assert "Choose the owner from the list" in refused.value.message_dict["owner"][0]
    assert not Task.unscoped.exists()


def test_the_owner_will_see_the_task_on_the_case_team_or_overseeing_the_unit(panel):
    # An investigator of the unit not on this case's team would get a task they cannot open.
    outsider = member("police_investigator", unit=panel.unit, agency=panel.police)
    owners = {choice.user_id for choice in services_actions.action_owner_choices(case=panel.case)}
    assert owners == {panel.chair.pk, panel.officer.pk, panel.clinician.pk, panel.advocate.pk}
    with pytest.raises(ValidationError) as refused:
        _action(panel, owner_id=outsider.pk)
    assert "add them to the case team first" in refused.value.message_dict["owner"][0]
    assert not Task.unscoped.exists()


# --- the item's outcome ------------------------------------------------------------------------


def test_the_outcome_marks_the_item_discussed_with_its_next_review(panel):
    review = timezone.localdate() + timedelta(days=28)
    item = services_items.item_outcome_record(
        actor=panel.chair, item=panel.item, expected_version=1, status=ItemStatus.DISCUSSED, next_review_on=review
    )
    assert (item.status, item.next_review_on, item.version) == (ItemStatus.DISCUSSED, review, 2)
    assert item.discussed_at is not None
    [event] = _writes()
    assert (event.action, event.fields) == (AuditAction.CHANGE, ["discussed_at", "next_review_on", "status"])
    deferred = services_items.item_outcome_record(
        actor=panel.chair, item=item, expected_version=2, status=ItemStatus.DEFERRED, next_review_on=review
    )
    assert (deferred.status, deferred.discussed_at) == (ItemStatus.DEFERRED, None)


def test_a_next_review_date_in_the_past_is_refused(panel):
    with pytest.raises(ValidationError) as refused:
        services_items.item_outcome_record(
            actor=panel.chair,
            item=panel.item,
            expected_version=1,
            status=ItemStatus.DISCUSSED,
            next_review_on=timezone.localdate() - timedelta(days=1),
        )
    assert "next_review_on" in refused.value.message_dict
    assert AgendaItem.unscoped.get(pk=panel.item.pk).status == ItemStatus.PENDING
    assert _writes() == []


def test_an_outcome_from_a_stale_page_is_refused(panel):
    services_items.item_outcome_record(
        actor=panel.chair, item=panel.item, expected_version=1, status=ItemStatus.DEFERRED, next_review_on=None
    )
    with pytest.raises(StaleEditError):
        services_items.item_outcome_record(
            actor=panel.officer, item=panel.item, expected_version=1, status=ItemStatus.DISCUSSED, next_review_on=None
        )
    assert AgendaItem.unscoped.get(pk=panel.item.pk).status == ItemStatus.DEFERRED


def test_a_support_officer_cannot_record_an_outcome(panel):
    # Support officers may create team records but not change them.
    from masip.accounts.models import Role
    from masip.panel.models import MeetingMember
    from tests.factories import TeamMemberFactory, member

    support = member(Role.SUPPORT_OFFICER, unit=panel.unit, agency=panel.police)
    TeamMemberFactory(case=panel.case, user=support)
    MeetingMember.objects.create(
        meeting=panel.meeting, user=support, name="S", agency=panel.police, attendance=Attendance.ATTENDED
    )
    with pytest.raises(PermissionDenied):
        services_items.item_outcome_record(
            actor=support, item=panel.item, expected_version=1, status=ItemStatus.DISCUSSED, next_review_on=None
        )
    assert AgendaItem.unscoped.get(pk=panel.item.pk).status == ItemStatus.PENDING
