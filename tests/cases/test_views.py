"""Case pages: the caseload list, one case, and adding notes."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from masip.access.policy import Compartment
from masip.accounts.models import Role
from masip.audit.models import AuditAction, AuditEvent
from masip.cases.models import CaseNote, CaseStatus
from tests.conftest import verified_client
from tests.factories import (
    CaseFactory,
    CaseNoteFactory,
    ParticipantFactory,
    TeamMemberFactory,
    UnitFactory,
    member,
)

pytestmark = pytest.mark.django_db


def _on_team(role: str, case=None, **kwargs):
    case = case or CaseFactory(**kwargs)
    user = member(role, unit=case.unit)
    TeamMemberFactory(case=case, user=user)
    return case, user


# --- the list -------------------------------------------------------------------------------


def test_list_shows_only_the_users_cases_and_audits_them_in_one_row():
    case, user = _on_team(Role.CLINICIAN)
    hidden = CaseFactory(unit=case.unit)
    response = verified_client(user).get(reverse("cases:list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert case.reference in html
    assert hidden.reference not in html
    listed = AuditEvent.objects.filter(action=AuditAction.VIEW, object_type="cases.case", actor=user)
    assert [event.detail for event in listed] == [{"listed": [str(case.pk)]}]


def test_list_filters_by_status():
    unit = UnitFactory()
    open_case = CaseFactory(unit=unit, status=CaseStatus.OPEN)
    closed_case = CaseFactory(unit=unit, status=CaseStatus.CLOSED)
    manager = member(Role.UNIT_MANAGER, unit=unit)
    html = verified_client(manager).get(reverse("cases:list"), {"status": CaseStatus.CLOSED}).content.decode()
    assert closed_case.reference in html
    assert open_case.reference not in html


def test_list_with_an_unknown_status_explains_and_shows_all():
    case = CaseFactory()
    manager = member(Role.UNIT_MANAGER, unit=case.unit)
    response = verified_client(manager).get(reverse("cases:list"), {"status": "bogus"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Choose a status from the list." in html
    assert case.reference in html


def test_list_pages_by_25():
    unit = UnitFactory()
    CaseFactory.create_batch(27, unit=unit)
    manager = member(Role.UNIT_MANAGER, unit=unit)
    client = verified_client(manager)
    assert len(client.get(reverse("cases:list")).context["cases"]) == 25
    assert len(client.get(reverse("cases:list"), {"page": 2}).context["cases"]) == 2
    # The next page keeps the filter.
    filtered = client.get(reverse("cases:list"), {"status": "open"}).content.decode()
    assert "?status=open&amp;page=2" in filtered


def test_list_is_refused_to_roles_that_do_not_work_cases():
    analyst = member(Role.ANALYST)
    assert verified_client(analyst).get(reverse("cases:list")).status_code == 403


def test_list_query_count_does_not_grow_with_the_number_of_cases(django_assert_max_num_queries):
    unit = UnitFactory()
    CaseFactory.create_batch(2, unit=unit)
    manager = member(Role.UNIT_MANAGER, unit=unit)
    client = verified_client(manager)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("cases:list")).status_code == 200
    CaseFactory.create_batch(23, unit=unit)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("cases:list"))
    assert len(response.context["cases"]) == 25


# --- one case ---------------------------------------------------------------------------------


def test_detail_shows_summary_team_and_only_the_notes_the_role_may_read():
    case, clinician = _on_team(Role.CLINICIAN)
    CaseNoteFactory(case=case, compartment=Compartment.TEAM, body="Team note: panel on Thursday.")
    CaseNoteFactory(case=case, compartment=Compartment.HEALTH, body="Clinical note: formulation started.")
    CaseNoteFactory(case=case, compartment=Compartment.POLICE, body="Police note: bail conditions.")
    response = verified_client(clinician).get(reverse("cases:detail", kwargs={"case_id": case.pk}))
    assert response.status_code == 200
    html = response.content.decode()
    assert escape(case.summary) in html
    assert clinician.full_name in html
    assert "Team note: panel on Thursday." in html
    assert "Clinical note: formulation started." in html
    assert "Police note" not in html
    shown = {entry.note.compartment for entry in response.context["overview"].timeline if entry.note}
    assert shown == {Compartment.TEAM, Compartment.HEALTH}
    offered = [value for value, _ in response.context["note_form"].fields["compartment"].widget.choices]
    assert offered == [Compartment.TEAM, Compartment.HEALTH]


def test_contact_details_are_shown_and_audited_for_roles_allowed_them():
    case, advocate = _on_team(Role.STALKING_ADVOCATE)
    participant = ParticipantFactory(case=case)
    response = verified_client(advocate).get(reverse("cases:detail", kwargs={"case_id": case.pk}))
    html = response.content.decode()
    assert participant.person.address in html
    assert participant.person.phone in html
    events = list(AuditEvent.objects.filter(actor=advocate, action=AuditAction.VIEW).order_by("seq"))
    assert [(e.action, e.object_type) for e in events] == [
        (AuditAction.VIEW, "cases.case"),
        (AuditAction.VIEW, "people.person"),
    ]
    assert events[1].person_id == participant.person.pk
    assert events[1].case_id == case.pk
    assert events[1].fields == ["address", "email", "phone"]


def test_contact_details_are_not_in_the_page_for_roles_without_them():
    case, clinician = _on_team(Role.CLINICIAN)
    participant = ParticipantFactory(case=case)
    response = verified_client(clinician).get(reverse("cases:detail", kwargs={"case_id": case.pk}))
    html = response.content.decode()
    assert participant.person.display_name in html
    assert participant.person.address not in html
    assert participant.person.phone not in html
    assert "Contact details are restricted to these roles" in html
    assert "Stalking advocate (ISAC)" in html
    assert not AuditEvent.objects.filter(actor=clinician, object_type="people.person").exists()


@pytest.mark.parametrize("case_id", ["another-unit", "missing", "not-a-uuid"])
def test_detail_gives_the_same_404_for_other_units_missing_and_malformed_ids(case_id):
    elsewhere = CaseFactory()
    support = member(Role.SUPPORT_OFFICER)  # no break-glass capability
    ids = {"another-unit": elsewhere.pk, "missing": uuid.uuid4(), "not-a-uuid": "not-a-uuid"}
    response = verified_client(support).get(reverse("cases:detail", kwargs={"case_id": ids[case_id]}))
    assert response.status_code == 404
    assert AuditEvent.objects.filter(actor=support, action=AuditAction.DENIED).count() == 1


# --- notes ------------------------------------------------------------------------------------


def test_adding_a_note_writes_it_and_audits_create():
    case, investigator = _on_team(Role.POLICE_INVESTIGATOR)
    response = verified_client(investigator).post(
        reverse("cases:note_add", kwargs={"case_id": case.pk}),
        {"compartment": Compartment.POLICE, "body": "  Suspect arrested for breach of bail.  "},
    )
    assert response.status_code == 302
    note = CaseNote.unscoped.get()
    assert (note.case, note.compartment, note.body, note.created_by) == (
        case,
        Compartment.POLICE,
        "Suspect arrested for breach of bail.",
        investigator,
    )
    created = AuditEvent.objects.get(action=AuditAction.CREATE)
    assert (created.actor, created.object_id, created.case_id, created.fields) == (
        investigator,
        str(note.pk),
        case.pk,
        ["body", "compartment"],
    )


def test_a_forged_compartment_is_refused_with_403_and_nothing_is_written():
    case, clinician = _on_team(Role.CLINICIAN)
    response = verified_client(clinician).post(
        reverse("cases:note_add", kwargs={"case_id": case.pk}),
        {"compartment": Compartment.POLICE, "body": "Trying to write where I may not."},
    )
    assert response.status_code == 403
    assert not CaseNote.unscoped.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.CREATE).exists()


def test_an_empty_note_is_shown_back_with_an_error():
    case, advocate = _on_team(Role.STALKING_ADVOCATE)
    response = verified_client(advocate).post(
        reverse("cases:note_add", kwargs={"case_id": case.pk}), {"compartment": Compartment.ADVOCACY, "body": " "}
    )
    assert response.status_code == 200
    assert "Enter the note." in response.content.decode()
    assert not CaseNote.unscoped.exists()
