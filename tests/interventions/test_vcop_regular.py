"""Regular Victims' Code updates at the frequency agreed with the victim, and the updates owed to
a victim who joins the case after an event."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from masip.audit.models import AuditAction, AuditEvent
from masip.cases.models import CaseStatus, ContactChannel, ParticipantRole
from masip.cases.services import case_participant_add
from masip.core.workdays import add_working_days
from masip.interventions import services_vcop
from masip.interventions.hooks import vcop_event_recorded
from masip.interventions.models_vcop import (
    VcopEvent,
    VcopEventKind,
    VcopUpdateDue,
    VcopUpdateKind,
    VcopUpdateStatus,
    VcopVictimSettings,
)
from masip.interventions.selectors_vcop import unit_overdue_updates_for, vcop_page_for
from tests.conftest import verified_client
from tests.factories import ParticipantFactory, PersonFactory
from tests.interventions.test_vcop_services import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return World()


def _agree(world: World, frequency: str, *, version: int | None = None, channel: str = "") -> VcopVictimSettings:
    return services_vcop.vcop_settings_save(
        actor=world.officer,
        case=world.case,
        participant=world.victim,
        enhanced_rights=True,
        enhanced_reason="",
        update_frequency=frequency,
        channel=channel,
        expected_version=version,
    )


def _regular(world: World, status: str = VcopUpdateStatus.OPEN) -> list[VcopUpdateDue]:
    return list(VcopUpdateDue.unscoped.filter(participant=world.victim, kind=VcopUpdateKind.REGULAR, status=status))


def _give(world: World, update: VcopUpdateDue, *, days_ago: int = 0) -> None:
    services_vcop.vcop_update_mark_sent(
        actor=world.officer,
        update=update,
        sent_at=timezone.now() - timedelta(days=days_ago),
        channel=ContactChannel.PHONE,
        summary="Told where the investigation stands.",
        expected_version=update.version,
    )


def _agreed_days_ago(world: World, frequency: str, days: int) -> None:
    """What was agreed `days` ago (as if the page had been used then)."""
    agreed = _agree(world, frequency)
    VcopVictimSettings.unscoped.filter(pk=agreed.pk).update(
        frequency_agreed_on=timezone.localdate() - timedelta(days=days)
    )
    services_vcop.regular_update_sync(participant=world.victim)


def test_agreeing_weekly_updates_makes_one_regular_update_due_a_week_later_audited(world: World):
    today = timezone.localdate()
    agreed = _agree(world, "weekly")
    assert agreed.frequency_agreed_on == today
    [regular] = _regular(world)
    assert (regular.event, regular.due_on) == (None, today + timedelta(days=7))
    made = AuditEvent.objects.get(action=AuditAction.CREATE, object_id=str(regular.pk))
    assert sorted(made.fields) == ["due_on", "kind", "participant"]
    assert made.detail == {"kind": "regular", "status": "open", "due_on": regular.due_on.isoformat()}
    # Changing only the channel keeps the frequency's day: nothing moves.
    _agree(world, "weekly", version=agreed.version, channel=ContactChannel.EMAIL)
    assert _regular(world) == [regular]
    assert VcopUpdateDue.unscoped.get(pk=regular.pk).version == regular.version


def test_a_new_frequency_is_counted_from_the_day_it_was_agreed_and_events_only_withdraws_it(world: World):
    _agreed_days_ago(world, "weekly", 20)
    [regular] = _regular(world)
    assert regular.due_on == timezone.localdate() - timedelta(days=13)
    agreed = VcopVictimSettings.unscoped.get()
    agreed = _agree(world, "monthly", version=agreed.version)
    [moved] = _regular(world)
    assert moved.pk == regular.pk
    assert moved.due_on > timezone.localdate() + timedelta(days=27)
    _agree(world, "events_only", version=agreed.version)
    assert _regular(world) == []
    [withdrawn] = _regular(world, VcopUpdateStatus.WITHDRAWN)
    assert withdrawn.pk == regular.pk
    # A withdrawn update is kept, and not shown as one to give.
    [row] = vcop_page_for(user=world.officer, case=world.case)
    assert row.updates == []


def test_any_update_given_restarts_the_period_and_giving_the_regular_one_opens_the_next(world: World):
    _agreed_days_ago(world, "fortnightly", 10)
    vcop_event_recorded(case=world.case, kind=VcopEventKind.INTERVIEW, occurred_at=timezone.now() - timedelta(days=3))
    told = VcopUpdateDue.unscoped.get(kind=VcopUpdateKind.EVENT)
    _give(world, told, days_ago=2)
    [regular] = _regular(world)
    assert regular.due_on == timezone.localdate() - timedelta(days=2) + timedelta(days=14)

    _give(world, regular)
    [following] = _regular(world)
    assert following.pk != regular.pk
    assert following.due_on == timezone.localdate() + timedelta(days=14)
    assert VcopUpdateDue.unscoped.get(pk=regular.pk).status == VcopUpdateStatus.SENT


def test_only_one_open_regular_update_per_victim(world: World):
    _agree(world, "weekly")
    [regular] = _regular(world)
    with pytest.raises(IntegrityError), transaction.atomic():
        VcopUpdateDue.unscoped.create(
            case=world.case,
            kind=VcopUpdateKind.REGULAR,
            participant=world.victim,
            enhanced_rights=True,
            due_on=regular.due_on,
        )
    assert services_vcop.regular_update_sync(participant=world.victim) == regular
    assert len(_regular(world)) == 1


def test_an_overdue_regular_update_shows_on_the_case_page_and_the_unit_page(world: World):
    _agreed_days_ago(world, "weekly", 9)
    [regular] = _regular(world)
    assert regular.due_on == timezone.localdate() - timedelta(days=2)
    assert unit_overdue_updates_for(user=world.manager) == [regular]
    page = verified_client(world.officer).get(reverse("interventions:vcop_index", kwargs={"case_id": world.case.pk}))
    html = page.content.decode()
    row = html[html.index(f'id="update-{regular.pk}"') :][:900]
    assert "Regular update (weekly)" in row
    assert "Overdue" in row
    unit_page = verified_client(world.manager).get(reverse("interventions_unit:vcop_overdue")).content.decode()
    assert f'id="overdue-{regular.pk}"' in unit_page
    assert "Regular update" in unit_page
    # Giving it, through the page, clears it and opens the next.
    url = reverse("interventions:vcop_update_mark_sent", kwargs={"case_id": world.case.pk, "update_id": regular.pk})
    form = verified_client(world.officer).get(url).content.decode()
    assert "Regular update, as agreed with the victim" in form


def test_a_victim_no_longer_involved_is_owed_no_regular_update(world: World):
    _agree(world, "weekly")
    world.victim.ended_at = timezone.now()
    world.victim.save()
    assert unit_overdue_updates_for(user=world.manager, today=timezone.localdate() + timedelta(days=30)) == []
    assert services_vcop.regular_update_sync(participant=world.victim) is None
    assert _regular(world) == []


def test_the_command_backfills_agreements_made_before_and_changes_nothing_the_second_time(world: World):
    agreed = VcopVictimSettings.unscoped.create(
        case=world.case, participant=world.victim, update_frequency="monthly", channel=""
    )
    out = StringIO()
    call_command("vcop_regular_updates", stdout=out)
    assert "1 victims' agreements checked; 1 regular updates to give." in out.getvalue()
    [regular] = _regular(world)
    assert regular.due_on > timezone.localdate(agreed.updated_at) + timedelta(days=27)
    audit_rows = AuditEvent.objects.count()
    call_command("vcop_regular_updates", stdout=StringIO())
    assert _regular(world) == [regular]
    assert AuditEvent.objects.count() == audit_rows
    # A closed case's open regular update is withdrawn by the run.
    world.case.status = CaseStatus.CLOSED
    world.case.save()
    call_command("vcop_regular_updates", stdout=StringIO())
    assert _regular(world) == []


# --- a victim who joins after an event ----------------------------------------------------------


def test_a_victim_added_is_owed_the_updates_of_the_last_28_days_due_from_the_day_they_joined(world: World):
    now = timezone.now()
    vcop_event_recorded(case=world.case, kind=VcopEventKind.ARREST, occurred_at=now - timedelta(days=10))
    vcop_event_recorded(case=world.case, kind=VcopEventKind.CHARGED, occurred_at=now - timedelta(days=2))
    vcop_event_recorded(case=world.case, kind=VcopEventKind.INTERVIEW, occurred_at=now - timedelta(days=40))
    person = PersonFactory(unit=world.unit)

    joined = case_participant_add(actor=world.officer, case=world.case, person=person, role=ParticipantRole.VICTIM)

    owed = list(
        VcopUpdateDue.unscoped.filter(participant=joined).select_related("event").order_by("event__occurred_at")
    )
    assert [u.event.kind for u in owed] == [VcopEventKind.ARREST, VcopEventKind.CHARGED]
    assert {u.due_on for u in owed} == {add_working_days(timezone.localdate(), 1)}
    assert all(u.status == VcopUpdateStatus.OPEN for u in owed)
    audited = AuditEvent.objects.filter(action=AuditAction.CREATE, object_type="interventions.vcopupdatedue")
    assert set(audited.filter(object_id__in=[str(u.pk) for u in owed]).values_list("actor_id", flat=True)) == {
        world.officer.pk
    }
    # Idempotent: asked again, nothing more is owed.
    assert services_vcop.vcop_victim_added(participant=joined) == []


def test_a_suspect_added_or_a_case_without_recent_events_owes_nothing(world: World):
    vcop_event_recorded(case=world.case, kind=VcopEventKind.ARREST, occurred_at=timezone.now() - timedelta(days=29))
    victim = case_participant_add(
        actor=world.officer, case=world.case, person=PersonFactory(unit=world.unit), role=ParticipantRole.VICTIM
    )
    suspect = case_participant_add(
        actor=world.officer, case=world.case, person=PersonFactory(unit=world.unit), role=ParticipantRole.SUSPECT
    )
    assert not VcopUpdateDue.unscoped.filter(participant__in=[victim, suspect]).exists()
    assert VcopEvent.unscoped.count() == 1


def test_a_victim_not_enhanced_is_owed_within_5_working_days_of_joining(world: World):
    vcop_event_recorded(case=world.case, kind=VcopEventKind.ARREST, occurred_at=timezone.now() - timedelta(days=1))
    late = ParticipantFactory(case=world.case)
    VcopVictimSettings.unscoped.create(
        case=world.case, participant=late, enhanced_rights=False, enhanced_reason="Single incident."
    )
    [owed] = services_vcop.vcop_victim_added(participant=late)
    assert owed.due_on == add_working_days(timezone.localdate(), 5)
    assert owed.enhanced_rights is False


def test_the_case_page_counts_a_regular_update_only_once_its_day_comes(world: World):
    from masip.cases.selectors import case_get_for

    _agree(world, "weekly")
    [regular] = _regular(world)
    assert regular.due_on > timezone.localdate()
    case = case_get_for(user=world.officer, case_id=world.case.pk)
    assert (case.vcop_open, case.vcop_overdue) == (0, 0)  # agreed today: nothing to give yet
    VcopUpdateDue.unscoped.filter(pk=regular.pk).update(due_on=timezone.localdate())
    case = case_get_for(user=world.officer, case_id=world.case.pk)
    assert (case.vcop_open, case.vcop_overdue) == (1, 0)
