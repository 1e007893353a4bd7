"""Referrals by API: a sending system's token, the web form's checks, one referral per external
reference, and the sender's view of what became of it (never the unit's working papers)."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from masip.accounts.models import Role
from masip.api.services import api_token_issue
from masip.audit.models import AuditAction, AuditEvent
from masip.referrals.models import Channel, Referral, ReferralStatus, ReferralSubject, TriageDecision
from masip.referrals.services import screening_save, triage_decide
from tests.factories import AgencyFactory, MembershipFactory, UnitFactory, member

LIST = "api:referral-list"


def _system(role: str = Role.PARTNER_REFERRER, unit: Any = None, agency: Any = None) -> tuple[Any, APIClient]:
    """A sending system: a service account holding `role` in `unit`, and a client with its token."""
    unit = unit or UnitFactory()
    admin = member(Role.SYSTEM_ADMINISTRATOR, unit=unit)
    issued = api_token_issue(
        actor=admin,
        unit=unit,
        role=role,
        system_name="Force referral gateway",
        lifetime=timedelta(days=30),
        agency=agency or AgencyFactory(),
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issued.token}")
    return issued.account, client


def _referral(**overrides: Any) -> dict[str, Any]:
    today = timezone.localdate().isoformat()
    body: dict[str, Any] = {
        "external_reference": "GW-2026-0001",
        "urgency": "urgent",
        "relationship": "ex_intimate",
        "behaviours": ["unwanted_communication", "turning_up"],
        "crime_reference": "CR/1234/26",
        "existing_orders": "Bail: no contact with the victim.",
        "consent_to_referral": True,
        "consent_to_referral_on": today,
        "consent_to_sharing": True,
        "consent_to_sharing_on": today,
        "summary": "Messages every night since the separation; waits outside her work.",
        "victims": [{"given_name": "Alice", "family_name": "Hart", "date_of_birth": "1990-04-12"}],
        "suspects": [{"given_name": "Robert", "family_name": "Mason", "date_of_birth": "1985-02-03"}],
    }
    body.update(overrides)
    return body


def _post(client: APIClient, body: Any) -> Any:
    return client.post(reverse(LIST), json.dumps(body), content_type="application/json")


def _detail(referral_id: Any) -> str:
    return reverse("api:referral-detail", kwargs={"referral_id": referral_id})


STATUS_FIELDS = {
    "id",
    "reference",
    "external_reference",
    "status",
    "status_label",
    "received_at",
    "decision_deadline",
    "decision",
    "decision_label",
    "decided_at",
    "advice",
}


# Sending ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_referral_is_received_then_a_resend_returns_it_and_writes_nothing():
    account, client = _system()
    first = _post(client, _referral())
    assert first.status_code == 201, first.content
    body = first.json()
    assert set(body) == STATUS_FIELDS
    referral = Referral.unscoped.get()
    assert body["id"] == str(referral.pk)
    assert (body["reference"], body["external_reference"], body["status"]) == (
        referral.reference,
        "GW-2026-0001",
        ReferralStatus.RECEIVED,
    )
    assert body["decision_deadline"] == referral.decision_deadline.isoformat()
    assert first.headers["Location"] == f"http://testserver{_detail(referral.pk)}"
    assert (referral.channel, referral.referred_by, referral.source_agency) == (
        Channel.API,
        account,
        account.agency,
    )
    assert [(s.role, s.given_name) for s in ReferralSubject.unscoped.filter(referral=referral).order_by("role")] == [
        ("suspect", "Robert"),
        ("victim", "Alice"),
    ]
    events = AuditEvent.objects.count()

    again = _post(client, _referral())
    assert again.status_code == 200
    assert again.json() == body
    assert "Location" not in again.headers
    assert Referral.unscoped.count() == 1
    assert AuditEvent.objects.count() == events


@pytest.mark.django_db
def test_the_first_send_is_audited_as_the_sending_system():
    account, client = _system()
    assert _post(client, _referral()).status_code == 201
    referral = Referral.unscoped.get()
    rows = list(AuditEvent.objects.filter(object_id=str(referral.pk)).order_by("seq"))
    assert [(e.action, e.actor, e.unit_id) for e in rows] == [
        (AuditAction.CREATE, account, referral.unit_id),
        (AuditAction.CHANGE, account, referral.unit_id),
    ]
    assert rows[1].detail == {"event": "submitted"}


@pytest.mark.django_db
def test_a_changed_resend_under_the_same_reference_is_409_and_changes_nothing():
    _, client = _system()
    assert _post(client, _referral()).status_code == 201
    referral = Referral.unscoped.get()
    events = AuditEvent.objects.count()
    changed = _post(client, _referral(summary="Something else entirely", urgency="immediate"))
    assert changed.status_code == 409
    assert referral.reference in changed.json()["detail"]
    assert "Nothing was changed" in changed.json()["detail"]
    stored = Referral.unscoped.get()
    assert (stored.summary, stored.urgency, stored.version) == (referral.summary, referral.urgency, referral.version)
    assert AuditEvent.objects.count() == events


@pytest.mark.django_db
def test_the_same_moment_sent_with_another_offset_is_the_same_referral():
    _, client = _system()
    consent = {"consent_to_referral_on": "2026-01-05", "consent_to_sharing_on": "2026-01-05"}
    assert _post(client, _referral(received_at="2026-01-05T10:00:00Z", **consent)).status_code == 201
    assert _post(client, _referral(received_at="2026-01-05T11:00:00+01:00", **consent)).status_code == 200
    assert Referral.unscoped.count() == 1


@pytest.mark.django_db
def test_an_unidentified_suspect_is_a_valid_referral():
    _, client = _system()
    response = _post(client, _referral(suspects=[{"unidentified": True}]))
    assert response.status_code == 201, response.content
    assert ReferralSubject.unscoped.get(role="suspect").unidentified


@pytest.mark.django_db
def test_formula_like_text_is_stored_exactly_as_sent():
    # Text is data: a spreadsheet formula is kept as typed, never evaluated or altered here.
    formula = '=HYPERLINK("http://evil.example/","Click")'
    _, client = _system()
    response = _post(
        client,
        _referral(
            summary=formula,
            crime_reference="+CR/1",
            victims=[{"given_name": "=cmd|' /C calc'!A0", "family_name": "@Hart"}],
        ),
    )
    assert response.status_code == 201, response.content
    referral = Referral.unscoped.get()
    assert (referral.summary, referral.crime_reference) == (formula, "+CR/1")
    victim = ReferralSubject.unscoped.get(referral=referral, role="victim")
    assert (victim.given_name, victim.family_name) == ("=cmd|' /C calc'!A0", "@Hart")


# Refusals --------------------------------------------------------------------------------


def _refused(client: APIClient, body: Any) -> dict[str, Any]:
    response = _post(client, body)
    assert response.status_code == 400, response.content
    assert not Referral.unscoped.exists()
    assert not ReferralSubject.unscoped.exists()
    errors: dict[str, Any] = response.json()
    return errors


@pytest.mark.django_db
def test_a_referral_without_a_victim_is_refused_by_field():
    _, client = _system()
    body = _referral()
    del body["victims"]
    errors = _refused(client, body)
    assert errors == {"victims": ["Add at least one victim: the person being stalked."]}


@pytest.mark.django_db
def test_every_problem_the_service_finds_is_reported_at_once():
    _, client = _system()
    errors = _refused(client, _referral(victims=[], suspects=[], consent_to_referral=None))
    assert set(errors) == {"victims", "suspects", "consent_to_referral"}
    assert all(isinstance(messages, list) and messages for messages in errors.values())


@pytest.mark.django_db
def test_a_referral_dated_in_the_future_is_refused():
    _, client = _system()
    tomorrow = (timezone.now() + timedelta(days=1)).isoformat()
    errors = _refused(client, _referral(received_at=tomorrow))
    assert errors["received_at"] == ["The referral date is in the future. Enter the date the referral was made."]


@pytest.mark.django_db
def test_a_date_of_birth_after_the_referral_is_refused():
    _, client = _system()
    errors = _refused(
        client,
        _referral(
            received_at="2026-01-05T10:00:00Z",
            consent_to_referral_on="2026-01-05",
            consent_to_sharing_on="2026-01-05",
            victims=[{"given_name": "Alice", "family_name": "Hart", "date_of_birth": "2026-01-06"}],
        ),
    )
    assert errors == {
        "date_of_birth": ["The date of birth of Alice Hart is after the referral date. Check and correct it."]
    }


@pytest.mark.django_db
def test_a_bad_nhs_number_is_refused():
    _, client = _system()
    errors = _refused(client, _referral(suspects=[{"given_name": "Robert", "nhs_number": "123 456 7890"}]))
    assert "is not a valid NHS number" in errors["nhs_number"][0]


@pytest.mark.django_db
def test_an_unknown_urgency_is_refused_with_the_values_allowed():
    _, client = _system()
    errors = _refused(client, _referral(urgency="asap"))
    assert errors == {"urgency": ["“asap” is not an urgency. Use one of: routine, urgent, immediate."]}


@pytest.mark.django_db
def test_a_missing_urgency_or_reference_is_refused():
    _, client = _system()
    body = _referral()
    del body["urgency"], body["external_reference"]
    errors = _refused(client, body)
    assert errors["urgency"] == ["Say how urgent the referral is: routine, urgent or immediate."]
    assert errors["external_reference"] == [
        "Give your own reference for the referral: it lets masip recognise a resend."
    ]
    blank = _refused(client, _referral(external_reference="   "))
    assert blank == {
        "external_reference": ["Give your own reference for the referral: it lets masip recognise a resend."]
    }


@pytest.mark.django_db
def test_unknown_fields_are_refused_not_ignored():
    _, client = _system()
    errors = _refused(client, _referral(urgncy="urgent", victims=[{"given_name": "Alice", "nickname": "Al"}]))
    assert errors == {"urgncy": ["Unknown field. Check its spelling against the API description."]}
    nested = _refused(client, _referral(victims=[{"given_name": "Alice", "nickname": "Al"}]))
    # A person's errors are reported under their list, by position.
    assert nested == {
        "victims": {"0": {"nickname": ["Unknown field. Check its spelling against the API description."]}}
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"summary": 42}, "summary"),
        ({"behaviours": "following"}, "behaviours"),
        ({"behaviours": ["following", "sending flowers"]}, "behaviours"),
        ({"consent_to_referral": "perhaps"}, "consent_to_referral"),
        ({"consent_to_referral_on": "02/03/2026"}, "consent_to_referral_on"),
        ({"received_at": "yesterday"}, "received_at"),
        ({"victims": {"given_name": "Alice"}}, "victims"),
        ({"victims": [{"given_name": "Alice", "date_of_birth": "1990-02-30"}]}, "victims"),
        ({"suspects": [{"approximate_age": "forty"}]}, "suspects"),
        ({"suspects": [{"given_name": ["Robert"]}]}, "suspects"),
        ({"suspects": [{"gender": "m"}]}, "suspects"),
        ({"relationship": "neighbour"}, "relationship"),
        ({"external_reference": None}, "external_reference"),
        ({"external_reference": "x" * 65}, "external_reference"),
        ({"crime_reference": "CR\u0000/1"}, "crime_reference"),
        ({"summary": "Broken \ud800 text"}, "summary"),
        ({"victims": [{"given_name": "A" * 101}]}, "subjects"),
        ({"suspects": [{"given_name": "Robert", "approximate_age": 400}]}, "subjects"),
        ({"victims": [{"given_name": "Alice"}] * 51}, "victims"),
    ],
)
def test_wrong_types_and_values_are_400_with_the_field_named(change, field):
    _, client = _system()
    errors = _refused(client, _referral(**change))
    assert set(errors) == {field}


@pytest.mark.django_db
@pytest.mark.parametrize("raw", [b"{not json", b"", b"[1, 2]", b'"a referral"', b"null"])
def test_a_body_that_is_not_a_json_object_is_400(raw):
    _, client = _system()
    response = client.post(reverse(LIST), raw, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()
    assert not Referral.unscoped.exists()


@pytest.mark.django_db
def test_an_account_without_an_agency_is_told_why():
    account, client = _system()
    account.agency = None
    account.save(update_fields=["agency"])
    response = _post(client, _referral())
    assert response.status_code == 400
    assert "Your account has no agency" in response.json()["detail"]
    assert not Referral.unscoped.exists()


@pytest.mark.django_db
def test_a_form_encoded_body_is_415():
    _, client = _system()
    response = client.post(reverse(LIST), {"external_reference": "GW-1"})
    assert response.status_code == 415
    assert not Referral.unscoped.exists()


@pytest.mark.django_db
def test_a_role_that_cannot_refer_is_refused():
    _, client = _system(role=Role.ANALYST)
    response = _post(client, _referral())
    assert response.status_code == 403
    assert client.get(reverse(LIST)).status_code == 403
    assert not Referral.unscoped.exists()


@pytest.mark.django_db
def test_no_token_no_referral():
    response = APIClient().post(reverse(LIST), json.dumps(_referral()), content_type="application/json")
    assert response.status_code == 401
    assert not Referral.unscoped.exists()


# The unit --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_account_with_one_unit_sends_there_and_may_name_it():
    unit = UnitFactory(code="nsu")
    _, client = _system(unit=unit)
    assert _post(client, _referral(unit="NSU")).status_code == 201
    assert Referral.unscoped.get().unit == unit


@pytest.mark.django_db
def test_an_account_with_several_units_must_name_one_it_may_refer_to():
    first, second, stranger = UnitFactory(code="aaa"), UnitFactory(code="bbb"), UnitFactory(code="ccc")
    account, client = _system(unit=first)
    MembershipFactory(user=account, unit=second, role=Role.PARTNER_REFERRER)

    unnamed = _refused(client, _referral())
    assert unnamed == {"unit": ["Say which unit the referral is for: send `unit` with one of: aaa, bbb."]}
    for code in (stranger.code, "no-such-unit"):
        refused = _refused(client, _referral(unit=code))
        assert refused["unit"][0].startswith(f"You cannot send referrals to a unit “{code}”.")

    assert _post(client, _referral(unit="bbb")).status_code == 201
    assert Referral.unscoped.get().unit == second


# The sender's view -----------------------------------------------------------------------


def _decide_partner_managed(referral: Referral, advice: str) -> None:
    screener = member(Role.CLINICIAN, unit=referral.unit)
    screening_save(
        actor=screener,
        referral=referral,
        fixated="yes",
        obsessive="yes",
        unwanted="yes",
        repeated="yes",
        answers={},
        notes="Screening notes the sender must never see.",
    )
    referral.refresh_from_db()
    triage_decide(
        actor=screener,
        referral=referral,
        decision=TriageDecision.PARTNER_MANAGED,
        reasons="Reasons the sender must never see.",
        advice=advice,
        expected_version=referral.version,
    )


@pytest.mark.django_db
def test_the_sender_sees_the_decision_and_the_units_advice_and_nothing_else():
    account, client = _system()
    created = _post(client, _referral()).json()
    referral = Referral.unscoped.get()
    _decide_partner_managed(referral, advice="Apply for a stalking protection order; call us if he turns up.")

    response = client.get(_detail(referral.pk))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == STATUS_FIELDS
    assert (body["status"], body["decision"], body["decision_label"]) == (
        ReferralStatus.DECIDED,
        TriageDecision.PARTNER_MANAGED,
        "Partner-managed with unit advice",
    )
    assert body["advice"] == "Apply for a stalking protection order; call us if he turns up."
    assert body["decided_at"] is not None
    assert body["reference"] == created["reference"]
    text = response.content.decode()
    assert "never see" not in text
    assert "Messages every night" not in text

    event = AuditEvent.objects.filter(actor=account, action=AuditAction.VIEW).get()
    assert (event.object_type, event.object_id, event.unit_id) == (
        "referrals.referral",
        str(referral.pk),
        referral.unit_id,
    )


@pytest.mark.django_db
def test_the_list_shows_only_the_senders_own_referrals_and_is_audited():
    unit = UnitFactory()
    account, client = _system(unit=unit)
    _, other = _system(unit=unit)
    assert _post(client, _referral(external_reference="MINE-1")).status_code == 201
    assert _post(client, _referral(external_reference="MINE-2")).status_code == 201
    assert _post(other, _referral(external_reference="THEIRS-1")).status_code == 201

    response = client.get(reverse(LIST), {"limit": 1})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [r["external_reference"] for r in body["results"]] == ["MINE-2"]
    assert body["next"] is not None
    everything = client.get(reverse(LIST)).json()
    assert [r["external_reference"] for r in everything["results"]] == ["MINE-2", "MINE-1"]
    listed = AuditEvent.objects.filter(actor=account, action=AuditAction.VIEW).order_by("seq")
    assert [e.detail["listed"] for e in listed] == [
        [everything["results"][0]["id"]],
        [r["id"] for r in everything["results"]],
    ]


@pytest.mark.django_db
def test_another_senders_referral_is_the_same_audited_404_as_a_missing_one():
    unit = UnitFactory()
    _, owner = _system(unit=unit)
    stranger, client = _system(unit=unit)
    theirs = _post(owner, _referral()).json()["id"]
    forbidden = client.get(_detail(theirs))
    missing = client.get(_detail(uuid.uuid4()))
    malformed = client.get(_detail("not-a-referral"))
    assert forbidden.status_code == missing.status_code == malformed.status_code == 404
    assert forbidden.content == missing.content == malformed.content == b'{"detail":"Not found."}'
    refused = AuditEvent.objects.filter(actor=stranger, action=AuditAction.DENIED, object_id=theirs)
    assert refused.count() == 1


@pytest.mark.django_db
def test_list_query_count_does_not_grow_with_the_number_of_referrals(django_assert_max_num_queries):
    unit = UnitFactory()
    _, client = _system(unit=unit)
    for n in range(2):
        assert _post(client, _referral(external_reference=f"Q-{n}")).status_code == 201
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse(LIST)).json()["count"] == 2
    budget = len(few.captured_queries)  # now: each request below clears the query log
    for n in range(2, 12):
        assert _post(client, _referral(external_reference=f"Q-{n}")).status_code == 201
    with django_assert_max_num_queries(budget):
        assert client.get(reverse(LIST)).json()["count"] == 12


# Two identical sends at once (PostgreSQL: row locks across connections) ---------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs row locks across connections (PostgreSQL)")
def test_two_identical_sends_at_the_same_moment_make_one_referral(transactional_db: None) -> None:
    _, client = _system()
    token = client._credentials["HTTP_AUTHORIZATION"]
    start = threading.Barrier(2)
    statuses: list[int] = []
    ids: list[str] = []

    def send() -> None:
        from django.db import connections

        own = APIClient()
        own.credentials(HTTP_AUTHORIZATION=token)
        start.wait()
        try:
            response = _post(own, _referral())
            statuses.append(response.status_code)
            ids.append(response.json().get("id", ""))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(statuses) == [200, 201]
    assert ids[0] == ids[1]
    assert Referral.unscoped.count() == 1
    assert ReferralSubject.unscoped.count() == 2
