"""Hand-made addresses get a clear refusal, never a server error, and nothing stores their bytes."""

import pytest
from django.test import Client
from django.urls import reverse

from masip.accounts.models import Role
from masip.audit.models import AuditAction, AuditEvent
from tests.conftest import verified_client
from tests.factories import CaseFactory, member

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "address",
    [
        "/cases/%00/",
        "/cases/abc%00def/",
        "/api/cases/%00/",
        "/cases/?status=open%00",
        "/accounts/sign-in/?next=/%00",
    ],
)
def test_nul_bytes_in_the_address_are_refused_with_400(address):
    client = verified_client(member(Role.UNIT_MANAGER))
    client.raise_request_exception = False
    response = client.get(address)
    assert response.status_code == 400
    assert "problem with the request" in response.content.decode()
    assert "Nothing was saved" in response.content.decode()


def test_nul_refusal_needs_no_sign_in():
    response = Client().get("/accounts/invitation/abc%00/")
    assert response.status_code == 400


def test_refused_lookup_stores_the_route_not_the_path():
    case = CaseFactory()
    client = verified_client(member(Role.UNIT_MANAGER))  # a manager of another unit
    assert client.get(reverse("cases:detail", kwargs={"case_id": case.pk})).status_code == 404
    refusal = AuditEvent.objects.get(action=AuditAction.DENIED, object_id=str(case.pk))
    assert refusal.detail == {"reason": "not found or not visible", "route": "cases:detail"}


def test_csrf_refusal_on_an_invitation_does_not_store_its_token():
    token = "secret-invitation-token-value"
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("accounts:accept_invitation", kwargs={"token": token}), {})
    assert response.status_code == 403
    refusal = AuditEvent.objects.filter(action=AuditAction.DENIED).latest("seq")
    assert refusal.detail == {"reason": "csrf", "route": "accounts:accept_invitation"}
    assert token not in str(refusal.detail)
