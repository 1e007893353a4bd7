"""Victims' Code pages: the case's page, recording an event and an update given, refusals shown
on the form, the case page line and the unit's overdue updates."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from masip.audit.models import AuditAction, AuditEvent
from masip.interventions.hooks import vcop_event_recorded
from masip.interventions.models_safety import SafeContactPreference
from masip.interventions.models_vcop import (
    VcopEvent,
    VcopEventKind,
    VcopUpdateDue,
    VcopUpdateStatus,
    VcopVictimSettings,
)
from tests.conftest import verified_client
from tests.interventions.test_vcop_services import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return World()


def _overdue_update(world: World) -> VcopUpdateDue:
    """An arrest eight days ago whose update is still to be given (due well before today)."""
    vcop_event_recorded(case=world.case, kind=VcopEventKind.ARREST, occurred_at=timezone.now() - timedelta(days=8))
    return VcopUpdateDue.unscoped.get(case=world.case)


def test_recording_an_event_by_hand_starts_the_victims_update(world: World):
    client = verified_client(world.officer)
    when = timezone.localtime() - timedelta(hours=3)
    response = client.post(
        reverse("interventions:vcop_event_add", kwargs={"case_id": world.case.pk}),
        {"kind": "interview", "occurred_date": f"{when:%Y-%m-%d}", "occurred_time": f"{when:%H:%M}"},
        follow=True,
    )
    assert response.status_code == 200
    update = VcopUpdateDue.unscoped.get()
    assert update.event.kind == VcopEventKind.INTERVIEW
    page = response.content.decode()
    assert "Event recorded" in page
    assert f'id="update-{update.pk}"' in page
    assert "To give" in page


def test_an_event_in_the_future_is_shown_as_an_error_and_nothing_is_stored(world: World):
    client = verified_client(world.officer)
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = client.post(
        reverse("interventions:vcop_event_add", kwargs={"case_id": world.case.pk}),
        {"kind": "charged", "occurred_date": f"{tomorrow:%Y-%m-%d}", "occurred_time": "10:00"},
    )
    assert response.status_code == 200
    assert "The event cannot be in the future" in response.content.decode()
    assert not VcopEvent.unscoped.exists()


def test_an_unknown_kind_is_shown_as_an_error(world: World):
    client = verified_client(world.officer)
    response = client.post(
        reverse("interventions:vcop_event_add", kwargs={"case_id": world.case.pk}),
        {"kind": "kidnap", "occurred_date": "2025-08-22", "occurred_time": "10:00"},
    )
    assert "Choose what happened from the list" in response.content.decode()
    assert not VcopEvent.unscoped.exists()


def _mark_sent(client: Any, world: World, update: VcopUpdateDue, **overrides: str) -> Any:
    when = timezone.localtime() - timedelta(hours=1)
    data = {
        "sent_date": f"{when:%Y-%m-%d}",
        "sent_time": f"{when:%H:%M}",
        "channel": "phone",
        "summary": "Told of the arrest and the bail conditions.",
        "version": str(update.version),
        **overrides,
    }
    url = reverse("interventions:vcop_update_mark_sent", kwargs={"case_id": world.case.pk, "update_id": update.pk})
    return client.post(url, data, follow=True)


def test_an_overdue_update_shows_on_the_case_page_and_giving_it_clears_it(world: World):
    update = _overdue_update(world)
    client = verified_client(world.officer)
    case_page = client.get(reverse("cases:detail", kwargs={"case_id": world.case.pk})).content.decode()
    assert "1 overdue" in case_page
    assert reverse("interventions:vcop_index", kwargs={"case_id": world.case.pk}) in case_page
    index = client.get(reverse("interventions:vcop_index", kwargs={"case_id": world.case.pk})).content.decode()
    assert "Overdue" in index

    response = _mark_sent(client, world, update)
    assert "recorded as given" in response.content.decode()
    update.refresh_from_db()
    assert update.status == VcopUpdateStatus.SENT
    assert update.sent_by == world.officer
    case_page = client.get(reverse("cases:detail", kwargs={"case_id": world.case.pk})).content.decode()
    assert "overdue" not in case_page
    assert "no update due to the victim" in case_page


def test_marking_sent_before_the_event_is_refused_on_the_form(world: World):
    update = _overdue_update(world)
    before = timezone.localtime(update.event.occurred_at) - timedelta(days=1)
    response = _mark_sent(
        verified_client(world.officer), world, update, sent_date=f"{before:%Y-%m-%d}", sent_time="09:00"
    )
    assert "cannot have been told before the event happened" in response.content.decode()
    update.refresh_from_db()
    assert update.status == VcopUpdateStatus.OPEN


def test_an_unsafe_channel_is_refused_on_the_form_naming_safe_ones(world: World):
    update = _overdue_update(world)
    SafeContactPreference.unscoped.create(
        case=world.case, participant=world.victim, safe_channels=["email", "letter", "in_person", "advocate"]
    )
    response = _mark_sent(verified_client(world.officer), world, update, channel="messaging")
    page = response.content.decode()
    assert "text or messaging is not safe for them" in page
    assert "Use face to face, video call, email, letter instead" in page
    update.refresh_from_db()
    assert update.status == VcopUpdateStatus.OPEN


def test_the_agreement_is_saved_and_declining_enhanced_rights_needs_a_reason(world: World):
    client = verified_client(world.officer)
    url = reverse("interventions:vcop_settings", kwargs={"case_id": world.case.pk, "participant_id": world.victim.pk})
    refused = client.post(url, {"enhanced_rights": "no", "update_frequency": "weekly", "channel": "email"})
    assert "Say why this victim does not have enhanced rights" in refused.content.decode()
    assert not VcopVictimSettings.unscoped.exists()
    client.post(url, {"enhanced_rights": "yes", "update_frequency": "fortnightly", "channel": "letter"})
    agreed = VcopVictimSettings.unscoped.get()
    assert (agreed.enhanced_rights, agreed.update_frequency, agreed.channel) == (True, "fortnightly", "letter")


def test_the_unit_page_lists_overdue_updates_of_the_managers_units(world: World, django_assert_max_num_queries: Any):
    update = _overdue_update(world)
    other = World()
    _overdue_update(other)
    client = verified_client(world.manager)
    url = reverse("interventions_unit:vcop_overdue")
    client.get(url)  # warm the session and the principal
    with django_assert_max_num_queries(12):
        response = client.get(url)
    page = response.content.decode()
    assert f'id="overdue-{update.pk}"' in page
    assert world.case.reference in page
    assert other.case.reference not in page
    listed = AuditEvent.objects.filter(
        action=AuditAction.VIEW, object_type="interventions.vcopupdatedue", actor=world.manager
    ).last()
    assert listed is not None
    assert listed.detail["listed"] == [str(update.pk)]
    # A case worker is not shown the unit page.
    assert verified_client(world.officer).get(url).status_code == 403
