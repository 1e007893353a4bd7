"""API tokens for systems: issued once, listed by prefix, revoked at once; each step audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from knox.models import AuthToken
from rest_framework.test import APIClient

from masip.accounts.models import Membership, Role, User
from masip.api.services import TOKEN_PREFIX_SHOWN, api_token_issue
from masip.audit.models import AuditAction, AuditEvent
from tests.conftest import verified_client
from tests.factories import AgencyFactory, UnitFactory, member

pytestmark = pytest.mark.django_db


def _form(unit, **overrides):
    return {
        "system_name": "Force referral gateway",
        "unit": unit.pk,
        "role": Role.PARTNER_REFERRER,
        "lifetime_days": 90,
        **overrides,
    }


def test_issuing_a_token_creates_a_service_account_and_shows_the_token_once():
    unit = UnitFactory()
    admin = member(Role.SYSTEM_ADMINISTRATOR, unit=unit)
    client = verified_client(admin)
    response = client.post(reverse("api:token_create"), _form(unit))
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    token = response.context["issued"].token
    assert token in response.content.decode()

    account = User.objects.get(is_service_account=True)
    assert account.full_name == "Force referral gateway"
    assert not account.has_usable_password()
    membership = Membership.objects.get(user=account)
    assert (membership.unit, membership.role, membership.granted_by) == (unit, Role.PARTNER_REFERRER, admin)
    stored = AuthToken.objects.get(user=account)
    assert token not in (stored.digest, stored.token_key)  # only a hash and a short prefix are kept
    assert timedelta(days=89) < stored.expiry - stored.created <= timedelta(days=90)

    event = AuditEvent.objects.get(action=AuditAction.ADMIN)
    assert (event.actor, event.unit, event.object_type, event.object_id) == (
        admin,
        unit,
        "knox.authtoken",
        token[:TOKEN_PREFIX_SHOWN],
    )
    assert event.detail["role"] == Role.PARTNER_REFERRER
    assert token not in str(event.detail)

    listing = client.get(reverse("api:token_list")).content.decode()
    assert token[:TOKEN_PREFIX_SHOWN] in listing
    assert token not in listing


def test_an_administrator_cannot_give_a_system_a_role_that_sees_the_whole_unit():
    unit = UnitFactory()
    admin = member(Role.SYSTEM_ADMINISTRATOR, unit=unit)
    response = verified_client(admin).post(reverse("api:token_create"), _form(unit, role=Role.UNIT_MANAGER))
    assert response.status_code == 200
    assert "Choose one of the roles listed." in response.content.decode()
    assert not User.objects.filter(is_service_account=True).exists()
    assert not AuditEvent.objects.filter(action=AuditAction.ADMIN).exists()


def test_tokens_can_only_be_issued_for_the_administrators_own_units():
    admin = member(Role.SYSTEM_ADMINISTRATOR)
    other = UnitFactory()
    response = verified_client(admin).post(reverse("api:token_create"), _form(other))
    assert response.status_code == 200
    assert "Choose one of your units." in response.content.decode()
    assert not AuthToken.objects.exists()


def test_token_screens_are_for_system_administrators_only():
    manager = member(Role.UNIT_MANAGER)
    client = verified_client(manager)
    assert client.get(reverse("api:token_list")).status_code == 403
    assert client.get(reverse("api:token_create")).status_code == 403


def test_the_list_shows_only_tokens_of_the_administrators_units():
    unit = UnitFactory()
    admin = member(Role.SYSTEM_ADMINISTRATOR, unit=unit)
    mine = api_token_issue(actor=admin, unit=unit, role=Role.ANALYST, system_name="Mine", lifetime=timedelta(days=30))
    other_unit = UnitFactory()
    other_admin = member(Role.SYSTEM_ADMINISTRATOR, unit=other_unit)
    api_token_issue(
        actor=other_admin, unit=other_unit, role=Role.ANALYST, system_name="Theirs", lifetime=timedelta(days=30)
    )
    response = verified_client(admin).get(reverse("api:token_list"))
    assert [t.pk for t in response.context["tokens"]] == [mine.instance.pk]


def test_revoking_a_token_stops_it_at_once_and_is_audited():
    unit = UnitFactory()
    admin = member(Role.SYSTEM_ADMINISTRATOR, unit=unit)
    issued = api_token_issue(
        actor=admin, unit=unit, role=Role.PARTNER_REFERRER, system_name="Gateway", lifetime=timedelta(days=30)
    )
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {issued.token}")
    assert api.get(reverse("api:me")).status_code == 200

    response = verified_client(admin).post(reverse("api:token_revoke", kwargs={"token_id": issued.instance.pk}))
    assert response.status_code == 302
    assert not AuthToken.objects.exists()
    assert api.get(reverse("api:me")).status_code == 401
    events = list(AuditEvent.objects.filter(action=AuditAction.ADMIN).order_by("seq"))
    assert [e.detail["event"] for e in events] == ["api token issued", "api token revoked"]
    assert (events[1].actor, events[1].unit, events[1].object_id) == (admin, unit, issued.prefix)


def test_revoking_another_units_token_is_404():
    issued_unit = UnitFactory()
    owner = member(Role.SYSTEM_ADMINISTRATOR, unit=issued_unit)
    issued = api_token_issue(
        actor=owner, unit=issued_unit, role=Role.PARTNER_REFERRER, system_name="Gateway", lifetime=timedelta(days=30)
    )
    stranger = member(Role.SYSTEM_ADMINISTRATOR)
    response = verified_client(stranger).post(reverse("api:token_revoke", kwargs={"token_id": issued.instance.pk}))
    assert response.status_code == 404
    assert AuthToken.objects.count() == 1


def test_a_systems_account_belongs_to_the_chosen_agency_or_the_units_lead_agency():
    unit = UnitFactory()
    gateway_force = AgencyFactory(name="Northshire Police")
    admin = member(Role.SYSTEM_ADMINISTRATOR, unit=unit)
    client = verified_client(admin)
    assert client.post(reverse("api:token_create"), _form(unit, agency=gateway_force.pk)).status_code == 200
    assert client.post(reverse("api:token_create"), _form(unit, system_name="Health gateway")).status_code == 200
    accounts = {a.full_name: a.agency for a in User.objects.filter(is_service_account=True)}
    assert accounts == {"Force referral gateway": gateway_force, "Health gateway": unit.lead_agency}
