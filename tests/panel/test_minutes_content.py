"""The minutes' content: each reader gets the items they are entitled to and their agency's
annexes, and nothing else; victim contact details never appear."""

import pytest

from masip.panel.minutes import (
    DRAFT_MARKING,
    audience_for_member,
    audience_for_user,
    content_for,
    general_audience,
    minutes_text,
    record_for,
)
from masip.panel.models import DeclarationOfInterest, Minutes, MinutesStatus
from tests.factories import member
from tests.panel.minutes_helpers import (
    ACTION_TITLE,
    ADVOCACY_NOTE,
    CONTACT_NOTE,
    DECISION_DETAIL,
    HEALTH_NOTE,
    OTHER_CASE_NOTE,
    POLICE_NOTE,
    TEAM_NOTE,
    next_meeting,
    recorded_meeting,
)

pytestmark = pytest.mark.django_db


def _text_for(recorded, user):
    record = record_for(recorded.meeting)
    return minutes_text(content_for(record, audience_for_member(record, recorded.panel.member_of(user))))


def test_the_officer_reads_their_case_with_the_police_annex_and_the_other_case_restricted():
    recorded = recorded_meeting()
    text = _text_for(recorded, recorded.panel.officer)
    case = recorded.panel.case.reference
    assert f"Item 1: case {case}" in text
    assert "New red flag since the last meeting; Review due" in text
    assert TEAM_NOTE in text
    assert f"Decision: Civil order route: {DECISION_DETAIL}" in text
    assert f"Action: {ACTION_TITLE} (owner Olive Officer, {recorded.panel.police.name}" in text
    assert "Item 2: restricted" in text
    assert OTHER_CASE_NOTE not in text
    assert recorded.panel.other_case.reference not in text
    assert "Police annex" in text
    assert POLICE_NOTE in text
    assert HEALTH_NOTE not in text
    assert ADVOCACY_NOTE not in text
    assert "Health annex" not in text


def test_the_clinician_gets_the_health_annex_only():
    recorded = recorded_meeting()
    text = _text_for(recorded, recorded.panel.clinician)
    assert "Health annex" in text
    assert HEALTH_NOTE in text
    assert POLICE_NOTE not in text
    assert ADVOCACY_NOTE not in text


def test_the_advocate_gets_the_advocacy_annex_only():
    recorded = recorded_meeting()
    text = _text_for(recorded, recorded.panel.advocate)
    assert "Advocacy annex" in text
    assert ADVOCACY_NOTE in text
    assert POLICE_NOTE not in text
    assert HEALTH_NOTE not in text


def test_the_probation_partner_on_no_team_sees_every_item_restricted_and_no_annex():
    recorded = recorded_meeting()
    text = _text_for(recorded, recorded.panel.partner)
    assert "Item 1: restricted" in text
    assert "Item 2: restricted" in text
    for secret in (TEAM_NOTE, POLICE_NOTE, HEALTH_NOTE, ADVOCACY_NOTE, DECISION_DETAIL, ACTION_TITLE):
        assert secret not in text
    assert recorded.panel.case.reference not in text
    # The meeting itself is not case data: the partner reads who attended.
    assert "Olive Officer" in text
    assert "Quorum: met" in text


def test_victim_contact_details_never_appear_in_any_version():
    recorded = recorded_meeting()
    record = record_for(recorded.meeting)
    panel = recorded.panel
    audiences = [audience_for_member(record, m) for m in record.members]
    audiences += [general_audience(record), audience_for_user(record, panel.chair)]
    for audience in audiences:
        assert CONTACT_NOTE not in minutes_text(content_for(record, audience))


def test_the_header_never_carries_the_call_details():
    recorded = recorded_meeting()
    recorded.meeting.call_details = "https://video.example/panel passcode 4411"
    recorded.meeting.save()
    text = _text_for(recorded, recorded.panel.officer)
    assert "Room 4, Northshire HQ" in text
    assert "Chris Chair" in text
    assert "video.example" not in text
    assert "4411" not in text


def test_a_member_who_withdrew_from_an_item_reads_it_as_restricted_and_the_declaration_is_minuted():
    recorded = recorded_meeting()
    panel = recorded.panel
    DeclarationOfInterest.objects.create(
        meeting=panel.meeting,
        member=panel.member_of(panel.officer),
        item=recorded.item,
        statement="Knows the suspect socially",
        withdrew=True,
        recorded_by=panel.chair,
    )
    text = _text_for(recorded, panel.officer)
    assert "Item 1: restricted" in text
    assert TEAM_NOTE not in text
    assert POLICE_NOTE not in text
    assert "- Olive Officer: item 1, withdrew" in text
    assert "Knows the suspect" not in text


def test_a_chair_who_is_not_a_member_reads_the_items_visible_to_them():
    recorded = recorded_meeting()
    deputy = member("unit_manager", unit=recorded.panel.unit, full_name="Dee Deputy")
    record = record_for(recorded.meeting)
    audience = audience_for_user(record, deputy)
    assert audience.member is None
    assert audience.entitled == {recorded.item.pk, recorded.other_item.pk}
    text = minutes_text(content_for(record, audience))
    assert TEAM_NOTE in text
    assert OTHER_CASE_NOTE in text


def test_draft_minutes_say_so_and_approved_minutes_list_where_they_were_approved():
    recorded = recorded_meeting()
    record = record_for(recorded.meeting)
    content = content_for(record, general_audience(record))
    assert content.is_draft
    assert content.draft_marking == DRAFT_MARKING
    later = next_meeting(recorded)
    Minutes.objects.create(meeting=recorded.meeting, status=MinutesStatus.APPROVED, approved_at_meeting=later)
    record = record_for(recorded.meeting)
    assert not content_for(record, general_audience(record)).is_draft
    later_record = record_for(later)
    later_text = minutes_text(content_for(later_record, general_audience(later_record)))
    assert "Minutes approved at this meeting:\n- Stalking panel" in later_text


def test_the_record_is_read_in_a_fixed_number_of_queries(django_assert_max_num_queries):
    recorded = recorded_meeting()
    with django_assert_max_num_queries(8):
        record_for(recorded.meeting)
