"""Who may call the API: systems with a live token, people with a session past the second factor."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from knox.models import AuthToken
from rest_framework.test import APIClient

from masip.accounts.models import Role
from masip.api.services import api_token_issue
from tests.conftest import verified_client
from tests.factories import CaseFactory, TeamMemberFactory, UnitFactory, member

pytestmark = pytest.mark.django_db


def _issued(role: str = Role.PARTNER_REFERRER, lifetime: timedelta = timedelta(days=30)):
    unit = UnitFactory()
    admin = member(Role.SYSTEM_ADMINISTRATOR, unit=unit)
    return api_token_issue(actor=admin, unit=unit, role=role, system_name="Referral gateway", lifetime=lifetime)


def _token_client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_a_live_token_identifies_its_system():
    issued = _issued()
    response = _token_client(issued.token).get(reverse("api:me"))
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == issued.account.pk
    assert body["is_service_account"] is True
    assert [(m["unit"]["id"], m["role"]) for m in body["memberships"]] == [
        (issued.account.memberships.get().unit_id, Role.PARTNER_REFERRER)
    ]
    # A system's account holds the partner referrer role: what that role may do, nothing more.
    assert body["capabilities"] == ["attend_panel", "submit_referrals"]


def test_an_expired_token_gets_401():
    issued = _issued()
    AuthToken.objects.filter(pk=issued.instance.pk).update(expiry=issued.instance.created - timedelta(seconds=1))
    response = _token_client(issued.token).get(reverse("api:me"))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Token"


def test_a_revoked_token_gets_401():
    issued = _issued()
    AuthToken.objects.filter(pk=issued.instance.pk).delete()
    assert _token_client(issued.token).get(reverse("api:me")).status_code == 401


def test_a_made_up_token_gets_401():
    assert _token_client("0" * 64).get(reverse("api:me")).status_code == 401


def test_no_credentials_get_401():
    assert APIClient().get(reverse("api:me")).status_code == 401


def test_a_token_of_a_person_is_refused():
    # A person's token would skip their second factor: tokens are for service accounts only.
    person = member(Role.POLICE_INVESTIGATOR)
    _, token = AuthToken.objects.create(person, expiry=timedelta(days=1))
    response = _token_client(token).get(reverse("api:me"))
    assert response.status_code == 401
    assert "API tokens are for systems" in response.json()["detail"]


def test_a_verified_session_may_use_the_api():
    person = member(Role.CLINICIAN)
    response = verified_client(person).get(reverse("api:me"))
    assert response.status_code == 200
    assert response.json()["email"] == person.email


def test_a_session_without_the_second_factor_gets_403():
    person = member(Role.CLINICIAN)
    client = Client()
    client.force_login(person)
    response = client.get(reverse("api:me"))
    assert response.status_code == 403
    assert "authentication app" in response.json()["detail"]
    assert client.get(reverse("api:case-list")).status_code == 403


def test_a_service_account_session_cannot_reach_web_pages():
    issued = _issued(role=Role.POLICE_INVESTIGATOR)
    case = CaseFactory(unit=issued.account.memberships.get().unit)
    TeamMemberFactory(case=case, user=issued.account)
    client = Client()
    client.force_login(issued.account)
    assert client.get(reverse("home")).status_code == 403
    assert client.get(reverse("cases:list")).status_code == 403
    assert client.get(reverse("cases:detail", kwargs={"case_id": case.pk})).status_code == 403


def test_the_schema_is_public_even_to_a_half_signed_in_session():
    client = Client()
    client.force_login(member(Role.CLINICIAN))
    response = client.get(reverse("api:schema"))
    assert response.status_code == 200
    assert response.content.startswith(b"openapi: 3")
    assert APIClient().get(reverse("api:schema")).status_code == 200
