"""The Victims' Code clocks: due dates in working days, overdue updates, updates given, refusals."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from masip.accounts.models import Role
from masip.audit.models import AuditAction, AuditEvent
from masip.cases.models import ContactChannel, ParticipantRole
from masip.interventions import services_vcop
from masip.interventions.hooks import vcop_event_recorded
from masip.interventions.models_safety import SafeContactPreference
from masip.interventions.models_vcop import (
    VcopEvent,
    VcopEventKind,
    VcopUpdateDue,
    VcopUpdateKind,
    VcopUpdateStatus,
    VcopVictimSettings,
    VcopView,
    VcopViewTopic,
)
from masip.interventions.selectors_vcop import case_update_counts, unit_overdue_updates_for, vcop_page_for
from tests.factories import CaseFactory, ParticipantFactory, TeamMemberFactory, UnitFactory, member

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
# Friday 22 August 2025; Monday 25 August 2025 is the summer bank holiday in England and Wales.
FRIDAY_ARREST = datetime(2025, 8, 22, 16, 30, tzinfo=LONDON)
BANK_HOLIDAY = date(2025, 8, 25)
TUESDAY = date(2025, 8, 26)
WEDNESDAY = date(2025, 8, 27)


class World:
    def __init__(self) -> None:
        self.unit = UnitFactory()
        self.case = CaseFactory(unit=self.unit)
        self.officer = member(Role.OUTREACH_WORKER, unit=self.unit)
        TeamMemberFactory(case=self.case, user=self.officer)
        self.manager = member(Role.UNIT_MANAGER, unit=self.unit)
        self.victim = ParticipantFactory(case=self.case)
        self.suspect = ParticipantFactory(case=self.case, role=ParticipantRole.SUSPECT)


@pytest.fixture
def world() -> World:
    return World()


def _not_enhanced(world: World, victim: Any) -> None:
    services_vcop.vcop_settings_save(
        actor=world.officer,
        case=world.case,
        participant=victim,
        enhanced_rights=False,
        enhanced_reason="Victim of a single incident, not persistently targeted.",
        update_frequency="monthly",
        channel=ContactChannel.EMAIL,
    )


def test_arrest_on_friday_before_bank_holiday_is_due_tuesday_with_enhanced_rights_and_5_working_days_otherwise(
    world: World,
):
    assert BANK_HOLIDAY.weekday() == 0
    second = ParticipantFactory(case=world.case)
    _not_enhanced(world, second)
    vcop_event_recorded(case=world.case, kind=VcopEventKind.ARREST, occurred_at=FRIDAY_ARREST, actor=world.officer)

    updates = {u.participant_id: u for u in VcopUpdateDue.unscoped.filter(kind=VcopUpdateKind.EVENT)}
    # One per victim, none for the suspect.
    assert set(updates) == {world.victim.pk, second.pk}
    assert updates[world.victim.pk].due_on == TUESDAY
    assert updates[world.victim.pk].enhanced_rights is True
    # Tue 26, Wed 27, Thu 28, Fri 29, Mon 1 September.
    assert updates[second.pk].due_on == date(2025, 9, 1)
    assert {u.status for u in updates.values()} == {VcopUpdateStatus.OPEN}


def test_an_ended_victim_gets_no_update(world: World):
    world.victim.ended_at = timezone.now()
    world.victim.save()
    vcop_event_recorded(case=world.case, kind=VcopEventKind.CHARGED, occurred_at=FRIDAY_ARREST)
    assert VcopEvent.unscoped.count() == 1
    assert not VcopUpdateDue.unscoped.exists()


def test_the_update_turns_overdue_after_its_working_day_and_giving_it_clears_it(world: World):
    vcop_event_recorded(case=world.case, kind=VcopEventKind.ARREST, occurred_at=FRIDAY_ARREST)
    assert case_update_counts(user=world.officer, case=world.case, today=TUESDAY) == {"open": 1, "overdue": 0}
    assert case_update_counts(user=world.officer, case=world.case, today=WEDNESDAY) == {"open": 1, "overdue": 1}
    assert len(unit_overdue_updates_for(user=world.manager, today=TUESDAY)) == 0
    assert len(unit_overdue_updates_for(user=world.manager, today=WEDNESDAY)) == 1

    update = VcopUpdateDue.unscoped.get()
    services_vcop.vcop_update_mark_sent(
        actor=world.officer,
        update=update,
        sent_at=datetime(2025, 8, 27, 10, 0, tzinfo=LONDON),
        channel=ContactChannel.PHONE,
        summary="Told of the arrest and the bail conditions.",
        expected_version=update.version,
    )
    update.refresh_from_db()
    assert update.status == VcopUpdateStatus.SENT
    assert update.sent_by == world.officer
    assert update.sent_channel == ContactChannel.PHONE
    assert update.summary == "Told of the arrest and the bail conditions."
    assert case_update_counts(user=world.officer, case=world.case, today=WEDNESDAY) == {"open": 0, "overdue": 0}
    assert unit_overdue_updates_for(user=world.manager, today=WEDNESDAY) == []
    [row] = vcop_page_for(user=world.officer, case=world.case, today=WEDNESDAY)
    assert row.updates == [update]


def test_the_unit_page_lists_overdue_updates_of_the_managers_units_only(world: World):
    other = World()
    vcop_event_recorded(case=world.case, kind=VcopEventKind.ARREST, occurred_at=FRIDAY_ARREST)
    vcop_event_recorded(case=other.case, kind=VcopEventKind.ARREST, occurred_at=FRIDAY_ARREST)
    listed = unit_overdue_updates_for(user=world.manager, today=WEDNESDAY)
    assert [u.case_id for u in listed] == [world.case.pk]
    # A case worker does not oversee the unit: nothing.
    assert unit_overdue_updates_for(user=world.officer, today=WEDNESDAY) == []


def test_an_unsafe_channel_is_refused_naming_the_safe_ones(world: World):
    vcop_event_recorded(case=world.case, kind=VcopEventKind.ARREST, occurred_at=FRIDAY_ARREST)
    update = VcopUpdateDue.unscoped.get()
    # The victim's safe contact preferences name letters, face to face and the advocate only.
    SafeContactPreference.unscoped.create(
        case=world.case, participant=world.victim, safe_channels=["letter", "in_person", "advocate"]
    )
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as refused:
        services_vcop.vcop_update_mark_sent(
            actor=world.officer,
            update=update,
            sent_at=datetime(2025, 8, 26, 9, 0, tzinfo=LONDON),
            channel=ContactChannel.PHONE,
            summary="Told of the arrest.",
            expected_version=update.version,
        )
    message = refused.value.message_dict["channel"][0]
    assert "phone is not safe" in message
    assert "face to face" in message
    assert "letter" in message
    assert "video call" in message
    assert "email" not in message.split("Use", 1)[1]
    update.refresh_from_db()
    assert update.status == VcopUpdateStatus.OPEN
    assert update.sent_at is None
    assert AuditEvent.objects.count() == before


def test_without_safe_contact_preferences_no_channel_is_unsafe(world: World):
    assert services_vcop.unsafe_channels_for(world.victim) == set()


@pytest.mark.parametrize(
    ("sent_at", "channel", "summary", "field", "message"),
    [
        (datetime(2025, 8, 22, 16, 0, tzinfo=LONDON), "phone", "Told.", "sent_at", "before the event happened"),
        (timezone.now() + timedelta(days=1), "phone", "Told.", "sent_at", "cannot be in the future"),
        (datetime(2025, 8, 26, 9, 0, tzinfo=LONDON), "pigeon", "Told.", "channel", "Choose how the victim was told"),
        (datetime(2025, 8, 26, 9, 0, tzinfo=LONDON), "phone", "  ", "summary", "Write what the victim was told"),
    ],
)
def test_marking_sent_refuses_bad_input_and_stores_nothing(
    world: World, sent_at: datetime, channel: str, summary: str, field: str, message: str
):
    vcop_event_recorded(case=world.case, kind=VcopEventKind.ARREST, occurred_at=FRIDAY_ARREST)
    update = VcopUpdateDue.unscoped.get()
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as refused:
        services_vcop.vcop_update_mark_sent(
            actor=world.officer,
            update=update,
            sent_at=sent_at,
            channel=channel,
            summary=summary,
            expected_version=update.version,
        )
    assert message in refused.value.message_dict[field][0]
    update.refresh_from_db()
    assert update.status == VcopUpdateStatus.OPEN
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize(
    ("kind", "occurred_at", "field", "message"),
    [
        ("arrest", timezone.now() + timedelta(hours=2), "occurred_at", "cannot be in the future"),
        ("abduction", FRIDAY_ARREST, "kind", "Choose what happened"),
    ],
)
def test_an_event_in_the_future_or_of_an_unknown_kind_is_refused(
    world: World, kind: str, occurred_at: datetime, field: str, message: str
):
    with pytest.raises(ValidationError) as refused:
        vcop_event_recorded(case=world.case, kind=kind, occurred_at=occurred_at)
    assert message in refused.value.message_dict[field][0]
    assert not VcopEvent.unscoped.exists()
    assert not VcopUpdateDue.unscoped.exists()


def test_the_same_event_from_the_legal_part_twice_is_recorded_once_and_by_hand_is_refused(world: World):
    vcop_event_recorded(case=world.case, kind=VcopEventKind.ARREST, occurred_at=FRIDAY_ARREST)
    vcop_event_recorded(case=world.case, kind=VcopEventKind.ARREST, occurred_at=FRIDAY_ARREST)
    assert VcopUpdateDue.unscoped.count() == 1
    with pytest.raises(ValidationError, match="already recorded"):
        services_vcop.vcop_event_record(
            actor=world.officer, case=world.case, kind=VcopEventKind.ARREST, occurred_at=FRIDAY_ARREST
        )
    assert VcopUpdateDue.unscoped.count() == 1


def test_recording_by_hand_needs_the_right_to_add_team_data(world: World):
    analyst = member(Role.ANALYST, unit=world.unit)
    with pytest.raises(PermissionDenied):
        services_vcop.vcop_event_record(
            actor=analyst, case=world.case, kind=VcopEventKind.INTERVIEW, occurred_at=FRIDAY_ARREST
        )
    assert not VcopEvent.unscoped.exists()


def test_event_and_updates_are_audited_with_field_names_only(world: World):
    event = services_vcop.vcop_event_record(
        actor=world.officer, case=world.case, kind=VcopEventKind.INTERVIEW, occurred_at=FRIDAY_ARREST
    )
    update = VcopUpdateDue.unscoped.get()
    services_vcop.vcop_update_mark_sent(
        actor=world.officer,
        update=update,
        sent_at=datetime(2025, 8, 26, 9, 0, tzinfo=LONDON),
        channel=ContactChannel.LETTER,
        summary="Told of the interview by letter.",
        expected_version=update.version,
    )
    rows = list(
        AuditEvent.objects.filter(case_id=world.case.pk, object_type__startswith="interventions.")
        .order_by("seq")
        .values_list("action", "object_type", "object_id", "actor_id", "fields")
    )
    assert rows == [
        (
            AuditAction.CREATE,
            "interventions.vcopevent",
            str(event.pk),
            world.officer.pk,
            ["kind", "occurred_at", "source"],
        ),
        (
            AuditAction.CREATE,
            "interventions.vcopupdatedue",
            str(update.pk),
            world.officer.pk,
            ["due_on", "enhanced_rights", "event", "participant"],
        ),
        (
            AuditAction.CHANGE,
            "interventions.vcopupdatedue",
            str(update.pk),
            world.officer.pk,
            ["sent_at", "sent_by", "sent_channel", "status", "summary"],
        ),
    ]
    assert "Told of the interview" not in str(AuditEvent.objects.values_list("detail", flat=True))


def test_declining_enhanced_rights_needs_a_reason_and_views_are_stored_encrypted(world: World):
    with pytest.raises(ValidationError) as refused:
        services_vcop.vcop_settings_save(
            actor=world.officer,
            case=world.case,
            participant=world.victim,
            enhanced_rights=False,
            enhanced_reason="",
            update_frequency="weekly",
            channel="phone",
        )
    assert "Say why" in refused.value.message_dict["enhanced_reason"][0]
    assert not VcopVictimSettings.unscoped.exists()

    services_vcop.vcop_view_record(
        actor=world.officer,
        case=world.case,
        participant=world.victim,
        topic=VcopViewTopic.BAIL_CONDITIONS,
        given_on=date(2025, 8, 23),
        views="Wants him kept away from her street and her work.",
    )
    view = VcopView.unscoped.get()
    assert view.views == "Wants him kept away from her street and her work."
    assert view.created_by == world.officer
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT views FROM interventions_vcopview")
        (stored,) = cursor.fetchone()
    assert "street" not in str(stored)


def test_views_cannot_be_recorded_for_a_suspect(world: World):
    with pytest.raises(ValidationError, match="victims only"):
        services_vcop.vcop_view_record(
            actor=world.officer,
            case=world.case,
            participant=world.suspect,
            topic=VcopViewTopic.ORDERS,
            given_on=date(2025, 8, 23),
            views="No views.",
        )


def test_an_agreement_made_after_the_form_was_opened_is_not_overwritten(world: World):
    from masip.core.models import StaleEditError

    _not_enhanced(world, world.victim)
    with pytest.raises(StaleEditError):
        services_vcop.vcop_settings_save(
            actor=world.officer,
            case=world.case,
            participant=world.victim,
            enhanced_rights=True,
            enhanced_reason="",
            update_frequency="weekly",
            channel="phone",
            expected_version=None,
        )
    agreed = VcopVictimSettings.unscoped.get()
    assert agreed.enhanced_rights is False
    assert agreed.update_frequency == "monthly"
