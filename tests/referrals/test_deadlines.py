"""A unit manager sets the working days allowed for a triage decision; referrals received from
then on get them, referrals already received keep theirs."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from masip.accounts.models import Role
from masip.audit.models import AuditAction, AuditEvent
from masip.core.workdays import add_working_days
from masip.referrals.deadline_services import triage_deadlines_for, triage_deadlines_set
from masip.referrals.models import TriageDeadlines, Urgency
from tests.conftest import verified_client
from tests.factories import MembershipFactory, UnitFactory, member
from tests.referrals.helpers import submitted_referral

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(unit):
    return member(Role.UNIT_MANAGER, unit=unit)


def set_days(actor, unit, immediate=1, urgent=3, routine=10):
    return triage_deadlines_set(
        actor=actor, unit=unit, immediate_days=immediate, urgent_days=urgent, routine_days=routine
    )


def test_new_deadlines_apply_to_referrals_received_from_then_on(unit, manager):
    before = submitted_referral(unit=unit, urgency=Urgency.ROUTINE)
    today = timezone.localdate()
    assert before.decision_deadline == add_working_days(today, TriageDeadlines.DEFAULTS[Urgency.ROUTINE])

    set_days(manager, unit, immediate=2, urgent=4, routine=12)

    after = submitted_referral(unit=unit, urgency=Urgency.ROUTINE)
    urgent = submitted_referral(unit=unit, urgency=Urgency.URGENT)
    assert after.decision_deadline == add_working_days(today, 12)
    assert urgent.decision_deadline == add_working_days(today, 4)
    before.refresh_from_db()
    assert before.decision_deadline == add_working_days(today, TriageDeadlines.DEFAULTS[Urgency.ROUTINE])


def test_the_settings_are_read_back_with_the_defaults_until_set(unit, manager):
    assert triage_deadlines_for(unit=unit).is_default
    set_days(manager, unit, immediate=1, urgent=1, routine=1)
    current = triage_deadlines_for(unit=unit)
    assert (current.immediate_days, current.urgent_days, current.routine_days, current.is_default) == (1, 1, 1, False)


@pytest.mark.parametrize(
    ("days", "field"),
    [
        ((0, 2, 5), "immediate_days"),
        ((1, 2, 31), "routine_days"),
        ((1, -2, 5), "urgent_days"),
        ((3, 2, 5), "urgent_days"),
        ((1, 6, 5), "routine_days"),
    ],
)
def test_days_outside_1_to_30_or_out_of_order_are_refused_and_nothing_is_written(unit, manager, days, field):
    with pytest.raises(ValidationError) as refused:
        set_days(manager, unit, *days)
    assert field in refused.value.message_dict
    assert not TriageDeadlines.objects.filter(unit=unit).exists()
    assert not AuditEvent.objects.filter(object_type="referrals.triagedeadlines").exists()


def test_only_the_units_manager_may_set_them(unit, manager):
    for actor in (member(Role.POLICE_INVESTIGATOR, unit=unit), member(Role.UNIT_MANAGER)):
        with pytest.raises(PermissionDenied):
            set_days(actor, unit)
    assert not TriageDeadlines.objects.filter(unit=unit).exists()


def test_each_change_is_audited_with_the_fields_changed(unit, manager):
    set_days(manager, unit, immediate=1, urgent=3, routine=10)
    set_days(manager, unit, immediate=1, urgent=3, routine=15)
    set_days(manager, unit, immediate=1, urgent=3, routine=15)  # no change: nothing recorded
    events = AuditEvent.objects.filter(object_type="referrals.triagedeadlines").order_by("pk")
    assert [(e.action, e.fields) for e in events] == [
        (AuditAction.CREATE, ["immediate_days", "routine_days", "urgent_days"]),
        (AuditAction.CHANGE, ["routine_days"]),
    ]
    assert all(e.actor_id == manager.pk for e in events)


# The page ------------------------------------------------------------------------------------


def url(**query) -> str:
    base = reverse("referrals:deadlines")
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_the_page_shows_the_current_deadlines_and_says_when_they_apply(unit, manager):
    set_days(manager, unit, immediate=2, urgent=6, routine=17)
    response = verified_client(manager).get(url())
    assert response.status_code == 200
    text = response.content.decode()
    assert 'value="17"' in text
    assert "referrals received from then on" in text.lower()


def test_saving_on_the_page_sets_the_deadlines(unit, manager):
    client = verified_client(manager)
    response = client.post(url(), {"unit": unit.pk, "immediate_days": "1", "urgent_days": "2", "routine_days": "8"})
    assert response.status_code == 302
    assert triage_deadlines_for(unit=unit).routine_days == 8
    page = client.get(response["Location"]).content.decode()
    assert "Referrals received from now on get these deadlines" in page


@pytest.mark.parametrize(
    ("posted", "message"),
    [
        ({"immediate_days": "1", "urgent_days": "2", "routine_days": "40"}, "at most 30 working days"),
        ({"immediate_days": "one", "urgent_days": "2", "routine_days": "5"}, "whole number of working days"),
        ({"immediate_days": "5", "urgent_days": "2", "routine_days": "5"}, "less time than immediate"),
    ],
)
def test_a_mistake_on_the_page_is_explained_and_nothing_saved(unit, manager, posted, message):
    response = verified_client(manager).post(url(), {"unit": unit.pk, **posted})
    assert response.status_code == 200
    text = response.content.decode()
    assert "There is a problem" in text
    assert message in text
    assert triage_deadlines_for(unit=unit).is_default


def test_a_manager_of_two_units_chooses_the_unit_and_cannot_reach_another(unit, manager):
    second = UnitFactory(name="Zeta Stalking Unit")
    MembershipFactory(user=manager, unit=second, role=Role.UNIT_MANAGER)
    client = verified_client(manager)
    assert client.get(url(unit=second.pk)).context["unit"] == second
    client.post(url(), {"unit": second.pk, "immediate_days": "1", "urgent_days": "2", "routine_days": "9"})
    assert triage_deadlines_for(unit=second).routine_days == 9
    assert triage_deadlines_for(unit=unit).is_default
    elsewhere = UnitFactory()
    assert client.get(url(unit=elsewhere.pk)).status_code == 404
    assert client.get(url(unit="not-a-unit")).status_code == 404


def test_other_roles_cannot_open_the_page(unit):
    assert verified_client(member(Role.POLICE_INVESTIGATOR, unit=unit)).get(url()).status_code == 403
