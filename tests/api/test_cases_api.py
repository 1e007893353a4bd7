"""The case endpoints: scoped like the web, audited, the same 404 for missing and forbidden."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from masip.access.policy import Compartment
from masip.accounts.models import Role
from masip.api.services import api_token_issue
from masip.audit.models import AuditAction, AuditEvent
from masip.cases.models import CaseNote, CaseStatus
from tests.conftest import verified_client
from tests.factories import CaseFactory, CaseNoteFactory, TeamMemberFactory, UnitFactory, member

pytestmark = pytest.mark.django_db

WRITABLE = (Compartment.TEAM, Compartment.POLICE, Compartment.HEALTH, Compartment.ADVOCACY)


def _system(role: str, unit):
    """A service account holding `role` in `unit`, and an API client carrying its token."""
    admin = member(Role.SYSTEM_ADMINISTRATOR, unit=unit)
    issued = api_token_issue(
        actor=admin, unit=unit, role=role, system_name=f"{role} system", lifetime=timedelta(days=30)
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issued.token}")
    return issued.account, client


def _on_team(role: str, case):
    account, client = _system(role, case.unit)
    TeamMemberFactory(case=case, user=account)
    return account, client


def _detail(case_id) -> str:
    return reverse("api:case-detail", kwargs={"case_id": case_id})


def _notes(case_id) -> str:
    return reverse("api:case-note-list", kwargs={"case_id": case_id})


def test_case_list_shows_the_callers_cases_and_audits_the_page():
    case = CaseFactory()
    CaseFactory(unit=case.unit)  # same unit, not on the team
    account, client = _on_team(Role.POLICE_INVESTIGATOR, case)
    response = client.get(reverse("api:case-list"))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert [c["reference"] for c in body["results"]] == [case.reference]
    assert set(body["results"][0]) == {"id", "reference", "status", "risk_level", "unit", "opened_at", "closed_at"}
    event = AuditEvent.objects.get(actor=account, action=AuditAction.VIEW)
    assert event.detail == {"listed": [str(case.pk)]}


def test_case_list_filters_by_status_and_explains_a_bad_one():
    case = CaseFactory(status=CaseStatus.CLOSED)
    _, client = _on_team(Role.POLICE_INVESTIGATOR, case)
    assert client.get(reverse("api:case-list"), {"status": "open"}).json()["count"] == 0
    assert client.get(reverse("api:case-list"), {"status": "closed"}).json()["count"] == 1
    bad = client.get(reverse("api:case-list"), {"status": "shut"})
    assert bad.status_code == 400
    assert "Unknown status" in bad.json()["status"][0]


def test_case_list_is_refused_to_roles_that_do_not_work_cases():
    _, client = _system(Role.PARTNER_REFERRER, UnitFactory())
    assert client.get(reverse("api:case-list")).status_code == 403


def test_case_list_query_count_does_not_grow_with_the_number_of_cases(django_assert_max_num_queries):
    unit = UnitFactory()
    cases = CaseFactory.create_batch(2, unit=unit)
    account, client = _system(Role.POLICE_INVESTIGATOR, unit)
    for case in cases:
        TeamMemberFactory(case=case, user=account)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("api:case-list")).json()["count"] == 2
    for case in CaseFactory.create_batch(20, unit=unit):
        TeamMemberFactory(case=case, user=account)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse("api:case-list")).json()["count"] == 22


def test_case_detail_for_a_visible_case_is_audited():
    case = CaseFactory()
    account, client = _on_team(Role.CLINICIAN, case)
    response = client.get(_detail(case.pk))
    assert response.status_code == 200
    assert response.json()["summary"] == case.summary
    event = AuditEvent.objects.get(actor=account, action=AuditAction.VIEW)
    assert (event.object_type, event.case_id) == ("cases.case", case.pk)


@pytest.mark.parametrize("path", [_detail, _notes])
def test_another_units_case_gets_the_same_404_as_a_random_id(path):
    elsewhere = CaseFactory()
    own = CaseFactory()
    _, client = _on_team(Role.POLICE_INVESTIGATOR, own)
    forbidden = client.get(path(elsewhere.pk))
    missing = client.get(path(uuid.uuid4()))
    malformed = client.get(path("not-a-case"))
    assert forbidden.status_code == missing.status_code == malformed.status_code == 404
    assert forbidden.content == missing.content == malformed.content == b'{"detail":"Not found."}'


def test_a_case_outside_the_caseload_is_404_in_the_api_not_break_glass():
    case = CaseFactory()
    account, client = _system(Role.STALKING_ADVOCATE, case.unit)  # may break glass on the web
    response = client.get(_detail(case.pk))
    assert response.status_code == 404
    assert response.content == client.get(_detail(uuid.uuid4())).content
    refusal = AuditEvent.objects.filter(actor=account, action=AuditAction.DENIED, case_id=case.pk)
    assert refusal.count() == 1


@pytest.mark.parametrize(
    ("role", "readable"),
    [
        (Role.POLICE_INVESTIGATOR, {Compartment.TEAM, Compartment.POLICE}),
        (Role.CLINICIAN, {Compartment.TEAM, Compartment.HEALTH}),
        (Role.OUTREACH_WORKER, {Compartment.TEAM, Compartment.ADVOCACY}),
        (Role.STALKING_ADVOCATE, {Compartment.TEAM, Compartment.ADVOCACY}),
        (Role.SUPPORT_OFFICER, {Compartment.TEAM}),
    ],
)
def test_each_role_gets_the_notes_its_compartments_allow(role, readable):
    case = CaseFactory()
    for compartment in WRITABLE:
        CaseNoteFactory(case=case, compartment=compartment, body=f"{compartment} note")
    _, client = _on_team(role, case)
    response = client.get(_notes(case.pk))
    assert response.status_code == 200
    assert {n["compartment"] for n in response.json()["results"]} == {str(c) for c in readable}


def test_a_unit_manager_reads_team_and_police_notes_of_any_unit_case():
    case = CaseFactory()
    for compartment in WRITABLE:
        CaseNoteFactory(case=case, compartment=compartment)
    manager = member(Role.UNIT_MANAGER, unit=case.unit)
    response = verified_client(manager).get(_notes(case.pk))
    assert {n["compartment"] for n in response.json()["results"]} == {"team", "police"}


def test_posting_a_note_in_an_allowed_compartment_creates_and_audits_it():
    case = CaseFactory()
    account, client = _on_team(Role.CLINICIAN, case)
    response = client.post(_notes(case.pk), {"compartment": "health", "body": "Formulation session booked."})
    assert response.status_code == 201
    note = CaseNote.unscoped.get()
    assert response.json()["id"] == str(note.pk)
    assert (note.compartment, note.body, note.created_by) == ("health", "Formulation session booked.", account)
    event = AuditEvent.objects.get(action=AuditAction.CREATE)
    assert (event.actor, event.case_id, event.fields) == (account, case.pk, ["body", "compartment"])


@pytest.mark.parametrize(
    ("role", "forbidden"),
    [
        (Role.CLINICIAN, Compartment.POLICE),
        (Role.POLICE_INVESTIGATOR, Compartment.HEALTH),
        (Role.STALKING_ADVOCATE, Compartment.HEALTH),
        (Role.SUPPORT_OFFICER, Compartment.ADVOCACY),
    ],
)
def test_posting_a_note_into_a_forbidden_compartment_is_403_and_writes_nothing(role, forbidden):
    case = CaseFactory()
    _, client = _on_team(role, case)
    response = client.post(_notes(case.pk), {"compartment": forbidden, "body": "Should not land."})
    assert response.status_code == 403
    assert "does not allow" in response.json()["detail"]
    assert not CaseNote.unscoped.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.CREATE).exists()


def test_posting_an_empty_note_is_400():
    case = CaseFactory()
    _, client = _on_team(Role.CLINICIAN, case)
    response = client.post(_notes(case.pk), {"compartment": "team", "body": "   "})
    assert response.status_code == 400
    assert "body" in response.json()
    assert not CaseNote.unscoped.exists()
