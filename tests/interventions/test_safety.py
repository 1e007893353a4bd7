"""Victim safety and support: the versioned safety plan, safe contact preferences and the banner,
the advocacy log's compartment, and victim-reported measures."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from masip.accounts.models import Role
from masip.audit.models import AuditAction, AuditEvent
from masip.interventions.models_safety import (
    AdvocacyContact,
    SafeContactPreference,
    SafetyPlanVersion,
    VictimMeasure,
)
from masip.interventions.services_safety import safe_contact_save, unsafe_channels_for
from tests.conftest import verified_client
from tests.factories import CaseFactory, ParticipantFactory, TeamMemberFactory, member

pytestmark = pytest.mark.django_db


class World:
    """A case with a victim and an investigator, a clinician and an advocate on its team."""

    def __init__(self) -> None:
        self.case = CaseFactory()
        self.victim = ParticipantFactory(case=self.case)
        self.investigator = self.on_team(Role.POLICE_INVESTIGATOR)
        self.clinician = self.on_team(Role.CLINICIAN)
        self.advocate = self.on_team(Role.STALKING_ADVOCATE)

    def on_team(self, role: Role) -> Any:
        user = member(role, unit=self.case.unit)
        TeamMemberFactory(case=self.case, user=user)
        return user

    def url(self, name: str, **extra: Any) -> str:
        return reverse(
            f"interventions:{name}", kwargs={"case_id": self.case.pk, "participant_id": self.victim.pk, **extra}
        )


@pytest.fixture
def world() -> World:
    return World()


def _date(days: int = 0) -> str:
    return (timezone.localdate() + timedelta(days=days)).strftime("%d/%m/%Y")


def _plan(world: World, *, based_on: int, risks: str, action: str, **overrides: Any) -> dict[str, Any]:
    data = {
        "based_on": str(based_on),
        "risks": risks,
        "review_on": _date(28),
        "actions-TOTAL_FORMS": "2",
        "actions-INITIAL_FORMS": "0",
        "actions-MIN_NUM_FORMS": "0",
        "actions-MAX_NUM_FORMS": "1000",
        "actions-0-kind": "alarm",
        "actions-0-description": action,
        "actions-0-owner": str(world.advocate.pk),
        "actions-0-due_on": _date(-2),  # already overdue: recorded as it stands
        "actions-0-status": "open",
        "actions-1-kind": "",
        "actions-1-description": "",
        "actions-1-owner": "",
        "actions-1-due_on": "",
        "actions-1-status": "open",
    }
    data.update(overrides)
    return data


def test_a_revised_plan_keeps_the_earlier_version_readable(world: World):
    client = verified_client(world.advocate)
    first = client.post(
        world.url("safety_plan_revise"),
        _plan(world, based_on=0, risks="Waits outside work", action="Fit a personal alarm"),
    )
    assert first.status_code == 302
    second = client.post(
        world.url("safety_plan_revise"),
        _plan(world, based_on=1, risks="Waits outside work; new threats online", action="Review privacy settings"),
        follow=True,
    )
    page = second.content.decode()
    assert "Safety plan saved as version 2" in page
    assert "new threats online" in page
    assert "Review privacy settings" in page
    assert 'id="earlier-versions"' in page
    assert "Version 1</a>" in page

    old = client.get(world.url("safety_plan_version", number=1)).content.decode()
    assert "Waits outside work" in old
    assert "Fit a personal alarm" in old
    assert "new threats online" not in old
    assert list(SafetyPlanVersion.unscoped.values_list("number", flat=True).order_by("number")) == [1, 2]
    # Writing and reading each version is in the audit log, by field name only.
    created = AuditEvent.objects.filter(action=AuditAction.CREATE, object_type="interventions.safetyplanversion")
    assert created.count() == 2
    assert "Waits" not in str(list(created.values_list("fields", flat=True)))
    assert client.get(world.url("safety_plan_version", number=3)).status_code == 404


def test_a_revision_from_a_stale_version_is_refused_and_keeps_the_entries(world: World):
    advocate, investigator = verified_client(world.advocate), verified_client(world.investigator)
    advocate.post(world.url("safety_plan_revise"), _plan(world, based_on=0, risks="First", action="Alarm"))
    investigator.post(world.url("safety_plan_revise"), _plan(world, based_on=1, risks="Second", action="Alarm"))

    stale = advocate.post(
        world.url("safety_plan_revise"), _plan(world, based_on=1, risks="My late change", action="Move bus route")
    )
    assert stale.status_code == 409
    page = stale.content.decode()
    assert "Someone else saved version 2" in page
    assert "My late change" in page
    assert "Move bus route" in page
    assert SafetyPlanVersion.unscoped.count() == 2
    # Saving again (now based on version 2) knowingly makes theirs version 3.
    assert 'name="based_on" value="2"' in page


def test_a_plan_without_risks_is_refused_with_nothing_written(world: World):
    response = verified_client(world.advocate).post(
        world.url("safety_plan_revise"), _plan(world, based_on=0, risks="  ", action="Alarm")
    )
    assert response.status_code == 200
    assert "Enter the risks this plan addresses." in response.content.decode()
    assert not SafetyPlanVersion.unscoped.exists()


def test_a_half_filled_action_is_refused(world: World):
    response = verified_client(world.advocate).post(
        world.url("safety_plan_revise"),
        _plan(world, based_on=0, risks="Risks", action="Alarm", **{"actions-0-owner": "", "actions-0-due_on": ""}),
    )
    page = response.content.decode()
    assert "Choose who owns this action." in page
    assert "Enter the date the action is due." in page
    assert not SafetyPlanVersion.unscoped.exists()


def _prefs(world: World) -> SafeContactPreference:
    return safe_contact_save(
        actor=world.advocate,
        participant=world.victim,
        expected_version=0,
        safe_channels=["text", "advocate"],
        safe_times="Weekdays 9 to 12",
        no_voicemail=True,
        safe_word="bluebell",
        trusted_third_party="Her sister Ann",
    )


def test_the_contact_banner_shows_the_safe_word_to_an_advocate_not_to_a_clinician(world: World):
    _prefs(world)
    case_url = reverse("cases:detail", kwargs={"case_id": world.case.pk})
    advocate_page = verified_client(world.advocate).get(case_url).content.decode()
    assert "govuk-warning-text" in advocate_page
    assert "Do not leave voicemail." in advocate_page
    assert "bluebell" in advocate_page
    assert "Her sister Ann" in advocate_page

    clinician = verified_client(world.clinician)
    clinician_page = clinician.get(case_url).content.decode()
    assert f'id="safe-contact-{world.victim.pk}"' not in clinician_page
    assert "bluebell" not in clinician_page
    # On the victim's page the clinician learns the safe channels, never the safe word.
    victim_page = clinician.get(world.url("safety_victim")).content.decode()
    assert "Do not leave voicemail." in victim_page
    assert "bluebell" not in victim_page
    assert "Her sister Ann" not in victim_page
    assert clinician.get(world.url("safety_contact_edit")).status_code == 403


def test_unsafe_channels_are_those_not_named_safe(world: World):
    assert unsafe_channels_for(world.victim) == set()
    _prefs(world)
    assert unsafe_channels_for(world.victim) == {"phone", "email", "letter", "in_person"}


def test_a_stale_change_to_contact_preferences_is_refused(world: World):
    _prefs(world)
    form = {"version": "0", "safe_channels": ["phone"], "safe_word": "daisy"}
    response = verified_client(world.investigator).post(world.url("safety_contact_edit"), form)
    assert response.status_code == 409
    assert SafeContactPreference.unscoped.get().safe_word == "bluebell"


def test_the_advocacy_log_is_hidden_from_the_investigator(world: World):
    advocate = verified_client(world.advocate)
    response = advocate.post(
        world.url("safety_advocacy_contact"),
        {"contact_on": _date(), "channel": "phone", "summary": "Talked through the court date"},
    )
    assert response.status_code == 302
    assert "Talked through the court date" in advocate.get(world.url("safety_advocacy")).content.decode()

    investigator = verified_client(world.investigator)
    assert investigator.get(world.url("safety_advocacy")).status_code == 403
    assert "Advocacy support log" not in investigator.get(world.url("safety_victim")).content.decode()
    assert not AdvocacyContact.objects.visible_to(world.investigator).exists()
    assert AdvocacyContact.objects.visible_to(world.advocate).count() == 1


def test_measures_are_recorded_and_listed_over_time(world: World):
    client = verified_client(world.advocate)
    for occasion, days, safety in (("intake", -30, "2"), ("review", -1, "6")):
        response = client.post(
            world.url("safety_measure_add"),
            {"occasion": occasion, "measured_on": _date(days), "safety": safety, "wellbeing": "4", "daily_impact": "8"},
        )
        assert response.status_code == 302
    page = client.get(world.url("safety_victim")).content.decode()
    table = page[page.index('id="measures-table"') :]
    assert table.index("Intake") < table.index("Review")
    assert list(VictimMeasure.unscoped.values_list("safety", flat=True).order_by("measured_on")) == [2, 6]


def test_a_measure_outside_0_to_10_is_refused(world: World):
    response = verified_client(world.advocate).post(
        world.url("safety_measure_add"),
        {"occasion": "intake", "measured_on": _date(), "safety": "11", "wellbeing": "4", "daily_impact": "-1"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Enter a feeling of safety score from 0 to 10." in page
    assert "Enter a impact on daily life score from 0 to 10." in page
    assert not VictimMeasure.unscoped.exists()


def test_a_non_victim_has_no_safety_page(world: World):
    witness = ParticipantFactory(case=world.case, role="witness")
    url = reverse("interventions:safety_victim", kwargs={"case_id": world.case.pk, "participant_id": witness.pk})
    assert verified_client(world.advocate).get(url).status_code == 404
