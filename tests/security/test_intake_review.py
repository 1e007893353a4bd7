"""Holes found in the referral intake path, each pinned by the test that proved it."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from masip.accounts.models import Role
from masip.api.services import api_token_issue
from masip.referrals.models import Referral, ReferralSubject, SubjectRole
from tests.conftest import verified_client
from tests.factories import AgencyFactory, PersonFactory, UnitFactory, member
from tests.referrals.helpers import submitted_referral
from tests.referrals.import_helpers import csv_bytes, good_row, latest_job, screener_in, upload

pytestmark = pytest.mark.django_db


def _api_client(unit: Any, agency: Any) -> APIClient:
    admin = member(Role.SYSTEM_ADMINISTRATOR, unit=unit)
    issued = api_token_issue(
        actor=admin,
        unit=unit,
        role=Role.PARTNER_REFERRER,
        system_name="Force referral gateway",
        lifetime=timedelta(days=30),
        agency=agency,
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issued.token}")
    return client


def _api_body(**overrides: Any) -> dict[str, Any]:
    today = timezone.localdate().isoformat()
    body: dict[str, Any] = {
        "external_reference": "GW-2026-0001",
        "urgency": "urgent",
        "relationship": "ex_intimate",
        "behaviours": ["unwanted_communication", "turning_up"],
        "consent_to_referral": True,
        "consent_to_referral_on": today,
        "summary": "Messages every night since the separation; waits outside her work.",
        "victims": [{"given_name": "Alice", "family_name": "Hart", "date_of_birth": "1990-04-12"}],
        "suspects": [{"given_name": "Robert", "family_name": "Mason", "date_of_birth": "1985-02-03"}],
    }
    body.update(overrides)
    return body


def _post(client: APIClient, body: Any) -> Any:
    return client.post(reverse("api:referral-list"), json.dumps(body), content_type="application/json")


# Another unit's referral through the sender's reference ------------------------------------


def test_import_does_not_name_or_return_another_units_referral_under_the_same_reference() -> None:
    other_unit, unit = UnitFactory(), UnitFactory()
    row = good_row("NP-900")
    # The force's referral to the other unit, imported there.
    other_client = verified_client(screener_in(other_unit))
    upload(other_client, csv_bytes([row]))
    job = latest_job(other_unit)
    other_client.post(reverse("referrals:import_confirm", kwargs={"import_id": job.pk}))
    theirs = Referral.unscoped.get(unit=other_unit, external_reference="NP-900")

    client = verified_client(screener_in(unit))
    upload(client, csv_bytes([good_row("NP-900", summary="Something else entirely.")]))
    changed = latest_job(unit)
    upload(client, csv_bytes([row]))
    same = latest_job(unit)
    client.post(reverse("referrals:import_confirm", kwargs={"import_id": same.pk}))
    same.refresh_from_db()

    for job in (changed, same):
        page = client.get(reverse("referrals:import_detail", kwargs={"import_id": job.pk})).content.decode()
        report = client.get(reverse("referrals:import_report", kwargs={"import_id": job.pk})).content.decode()
        assert theirs.reference not in page, job.report
        assert theirs.reference not in report
        assert (job.to_create, job.already_received, job.rejected) == (0, 0, 1)


def test_api_does_not_return_or_name_another_units_referral_under_the_same_reference() -> None:
    agency = AgencyFactory()
    other_unit, unit = UnitFactory(), UnitFactory()
    other_client = _api_client(other_unit, agency)
    assert _post(other_client, _api_body(external_reference="GW-77")).status_code == 201
    theirs = Referral.unscoped.get(unit=other_unit, external_reference="GW-77")

    client = _api_client(unit, agency)
    same = _post(client, _api_body(external_reference="GW-77"))
    changed = _post(client, _api_body(external_reference="GW-77", summary="Different."))

    for response in (same, changed):
        assert response.status_code == 409, response.content
        assert theirs.reference not in response.content.decode()
        assert str(theirs.pk) not in response.content.decode()


# Linking the people a referral names -------------------------------------------------------


def test_linking_a_subject_already_linked_by_another_screener_is_refused_not_overwritten() -> None:
    unit = UnitFactory()
    referral = submitted_referral(unit=unit)
    suspect = ReferralSubject.unscoped.get(referral=referral, role=SubjectRole.SUSPECT)
    first = PersonFactory(unit=unit, given_name="Robert", family_name="Mason")
    second = PersonFactory(unit=unit, given_name="Rob", family_name="Mason")
    url = reverse("referrals:subject_link", kwargs={"referral_id": referral.pk, "subject_id": suspect.pk})
    # Both screeners opened the page while the suspect was not linked yet.
    one, two = verified_client(screener_in(unit)), verified_client(screener_in(unit))
    assert one.post(url, {"person_id": str(first.pk)}).status_code == 302

    two.post(url, {"person_id": str(second.pk)})

    suspect.refresh_from_db()
    assert suspect.person_id == first.pk


# The uploaded file ---------------------------------------------------------------------------


def test_an_uploaded_file_is_never_written_unencrypted_to_a_temporary_file(settings: Any) -> None:
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024  # what a real file of a few MB meets by default
    unit = UnitFactory()
    client = verified_client(screener_in(unit))
    data = csv_bytes([good_row(f"NP-{n}") for n in range(40)])
    assert len(data) > settings.FILE_UPLOAD_MAX_MEMORY_SIZE

    with mock.patch.object(
        TemporaryFileUploadHandler, "new_file", autospec=True, side_effect=TemporaryFileUploadHandler.new_file
    ) as spooled:
        response = upload(client, data)

    assert response.status_code == 302
    assert latest_job(unit).total_rows == 40
    assert not spooled.called


# The API's input -----------------------------------------------------------------------------


def test_api_text_is_held_to_the_web_forms_limits() -> None:
    from masip.referrals.referrer_forms import ORDERS_MAX_LENGTH, SUMMARY_MAX_LENGTH

    unit = UnitFactory()
    client = _api_client(unit, AgencyFactory())
    too_long = [
        {"summary": "x" * (SUMMARY_MAX_LENGTH + 1)},
        {"existing_orders": "x" * (ORDERS_MAX_LENGTH + 1)},
        {"victims": [{"given_name": "Alice", "family_name": "Hart", "address": "x" * 100_000}]},
    ]
    for number, overrides in enumerate(too_long):
        response = _post(client, _api_body(external_reference=f"LONG-{number}", **overrides))
        assert response.status_code == 400, overrides.keys()
    assert not Referral.unscoped.filter(unit=unit).exists()


def test_api_deeply_nested_json_is_a_clear_refusal_not_a_server_error() -> None:
    client = _api_client(UnitFactory(), AgencyFactory())
    body = "[" * 100_000 + "]" * 100_000
    response = client.post(reverse("api:referral-list"), body, content_type="application/json")
    assert response.status_code == 400
