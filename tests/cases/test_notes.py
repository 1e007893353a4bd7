"""Notes and contact records through the pages: recording, editing with a history and stale-edit
refusals, releasing a clinical summary to the team, and what each role may see."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from masip.access.policy import Compartment
from masip.accounts.models import Role
from masip.audit.models import AuditAction, AuditEvent
from masip.cases.models import CaseNote, CaseNoteRevision, ContactChannel, NoteKind
from tests.conftest import verified_client
from tests.factories import CaseFactory, CaseNoteFactory, ParticipantFactory, TeamMemberFactory, member

pytestmark = pytest.mark.django_db

CLINICAL = "Formulation: rejected type, fixated on the victim's workplace."
SUMMARY = "Clinician advises: engagement likely; avoid joint visits for now."


def _on_team(role: str, case=None):
    case = case or CaseFactory()
    user = member(role, unit=case.unit)
    TeamMemberFactory(case=case, user=user)
    return case, user


def _detail(client, case) -> str:
    response = client.get(reverse("cases:detail", kwargs={"case_id": case.pk}))
    assert response.status_code == 200
    return response.content.decode()


def _contact_post(participant=None, **overrides):
    when = timezone.localtime() - timedelta(hours=2)
    data = {
        "compartment": Compartment.TEAM,
        "contact_date": when.strftime("%Y-%m-%d"),
        "contact_time": when.strftime("%H:%M"),
        "contact_with": str(participant.pk) if participant else "other",
        "contact_with_text": "" if participant else "Officer in the case",
        "channel": ContactChannel.PHONE,
        "body": "Victim reports the suspect drove past twice on Saturday.",
    }
    data.update(overrides)
    return data


# --- contact records ---------------------------------------------------------------------------


def test_a_contact_record_is_saved_audited_and_shown_on_the_timeline():
    case, advocate = _on_team(Role.STALKING_ADVOCATE)
    victim = ParticipantFactory(case=case)
    client = verified_client(advocate)
    data = _contact_post(victim, contact_by=str(advocate.pk), compartment=Compartment.ADVOCACY)
    response = client.post(reverse("cases:contact_add", kwargs={"case_id": case.pk}), data)
    assert response.status_code == 302
    record = CaseNote.unscoped.get()
    assert (record.kind, record.compartment, record.contact_with, record.contact_by, record.channel) == (
        NoteKind.CONTACT,
        Compartment.ADVOCACY,
        victim,
        advocate,
        ContactChannel.PHONE,
    )
    assert record.contact_at is not None
    created = AuditEvent.objects.get(action=AuditAction.CREATE)
    assert (created.actor, created.object_id, created.case_id) == (advocate, str(record.pk), case.pk)
    html = _detail(client, case)
    assert "Victim reports the suspect drove past twice on Saturday." in html
    assert f"{victim.person.display_name} (Victim)" in html


def test_a_contact_with_someone_not_on_the_case_is_described_in_words():
    case, investigator = _on_team(Role.POLICE_INVESTIGATOR)
    client = verified_client(investigator)
    data = _contact_post(contact_by=str(investigator.pk), compartment=Compartment.POLICE)
    assert client.post(reverse("cases:contact_add", kwargs={"case_id": case.pk}), data).status_code == 302
    assert "Officer in the case" in _detail(client, case)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"contact_with_text": ""}, "Describe who the contact was with."),
        ({"channel": ""}, "Choose how the contact was made."),
        ({"contact_date": "2999-01-01"}, "cannot be in the future"),
        ({"contact_with": str(uuid.uuid4())}, "Choose who the contact was with from the list."),
        ({"body": "   "}, "Enter the summary of the contact."),
    ],
)
def test_a_bad_contact_record_is_shown_back_with_a_message_and_nothing_is_written(change, message):
    case, advocate = _on_team(Role.STALKING_ADVOCATE)
    data = _contact_post(contact_by=str(advocate.pk)) | change
    response = verified_client(advocate).post(reverse("cases:contact_add", kwargs={"case_id": case.pk}), data)
    assert response.status_code == 200
    assert escape(message) in response.content.decode()
    assert not CaseNote.unscoped.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.CREATE).exists()


def test_a_participant_of_another_case_cannot_be_named_as_the_contact():
    case, advocate = _on_team(Role.STALKING_ADVOCATE)
    elsewhere = ParticipantFactory(case=CaseFactory(unit=case.unit))
    data = _contact_post(elsewhere, contact_by=str(advocate.pk))
    response = verified_client(advocate).post(reverse("cases:contact_add", kwargs={"case_id": case.pk}), data)
    assert response.status_code == 200
    assert not CaseNote.unscoped.exists()


# --- victim contact details ----------------------------------------------------------------


def test_a_contact_with_the_victim_never_shows_her_contact_details_to_roles_without_them():
    case, clinician = _on_team(Role.CLINICIAN)
    advocate = member(Role.STALKING_ADVOCATE, unit=case.unit)
    TeamMemberFactory(case=case, user=advocate)
    victim = ParticipantFactory(case=case)
    CaseNoteFactory(
        case=case,
        kind=NoteKind.CONTACT,
        contact_with=victim,
        contact_by=advocate,
        contact_at=timezone.now(),
        channel=ContactChannel.PHONE,
        body="Safety plan reviewed.",
    )
    client = verified_client(clinician)
    pages = [
        _detail(client, case),
        client.get(reverse("cases:contact_add", kwargs={"case_id": case.pk})).content.decode(),
    ]
    for html in pages:
        assert victim.person.display_name in html
        assert victim.person.phone not in html
        assert escape(victim.person.address) not in html
        assert victim.person.address not in html
    assert "Safety plan reviewed." in pages[0]
    assert not AuditEvent.objects.filter(actor=clinician, object_type="people.person").exists()


def test_the_timeline_does_not_load_contact_details_even_for_entitled_roles():
    case, advocate = _on_team(Role.STALKING_ADVOCATE)
    victim = ParticipantFactory(case=case)
    CaseNoteFactory(case=case, kind=NoteKind.CONTACT, contact_with=victim, channel=ContactChannel.EMAIL)
    from masip.cases.selectors import case_notes_for

    record = case_notes_for(user=advocate, case=case).get()
    assert record.contact_with.person.get_deferred_fields() >= {"address", "phone", "email"}


# --- editing -------------------------------------------------------------------------------


def _edit_url(note):
    return reverse("cases:note_edit", kwargs={"case_id": note.case_id, "note_id": note.pk})


def test_the_author_edits_a_note_and_the_earlier_version_is_kept_encrypted_and_audited():
    case, investigator = _on_team(Role.POLICE_INVESTIGATOR)
    note = CaseNoteFactory(case=case, compartment=Compartment.POLICE, body="First account.", created_by=investigator)
    client = verified_client(investigator)
    assert client.get(_edit_url(note)).status_code == 200
    response = client.post(_edit_url(note), {"version": 1, "body": "Corrected account."})
    assert response.status_code == 302
    note.refresh_from_db()
    assert (note.body, note.version, note.updated_by) == ("Corrected account.", 2, investigator)
    revision = CaseNoteRevision.unscoped.get()
    assert (revision.body, revision.version, revision.created_by, revision.replaced_by) == (
        "First account.",
        1,
        investigator,
        investigator,
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT body FROM cases_casenoterevision")
        (stored,) = cursor.fetchone()
    assert "First account." not in stored
    changed = AuditEvent.objects.get(action=AuditAction.CHANGE)
    assert (changed.actor, changed.object_id, changed.fields, changed.detail) == (
        investigator,
        str(note.pk),
        ["body"],
        {"version": 2},
    )
    history = client.get(reverse("cases:note_history", kwargs={"case_id": case.pk, "note_id": note.pk}))
    assert "First account." in history.content.decode()
    assert "Corrected account." in history.content.decode()
    viewed = AuditEvent.objects.filter(action=AuditAction.VIEW, object_type="cases.casenote").get()
    assert (viewed.fields, viewed.detail) == (["revisions"], {"versions": [1]})


def test_two_people_editing_one_note_at_once_the_second_is_shown_what_changed_and_nothing_is_lost():
    case, first = _on_team(Role.POLICE_INVESTIGATOR)
    _, second = _on_team(Role.UNIT_MANAGER, case=case)
    note = CaseNoteFactory(case=case, compartment=Compartment.TEAM, body="Panel on Thursday.", created_by=first)
    a, b = verified_client(first), verified_client(second)
    # Both open the edit page while the note is at version 1.
    assert 'value="1"' in a.get(_edit_url(note)).content.decode()
    assert 'value="1"' in b.get(_edit_url(note)).content.decode()
    assert a.post(_edit_url(note), {"version": 1, "body": "Panel moved to Friday."}).status_code == 302

    stale = b.post(_edit_url(note), {"version": 1, "body": "Panel on Thursday at 10:00."})
    assert stale.status_code == 409
    html = stale.content.decode()
    assert "Someone else changed this note while you were editing it" in html
    assert first.full_name in html
    assert "Panel moved to Friday." in html  # theirs
    assert "Panel on Thursday at 10:00." in html  # yours, still in the form
    note.refresh_from_db()
    assert (note.body, note.version) == ("Panel moved to Friday.", 2)
    assert AuditEvent.objects.filter(action=AuditAction.CHANGE).count() == 1

    # Having seen the other version, the second editor saves theirs knowingly; both are kept.
    assert 'name="version" value="2"' in html
    assert b.post(_edit_url(note), {"version": 2, "body": "Panel on Thursday at 10:00."}).status_code == 302
    note.refresh_from_db()
    assert (note.body, note.version, note.updated_by) == ("Panel on Thursday at 10:00.", 3, second)
    kept = list(CaseNoteRevision.unscoped.filter(note=note).order_by("version").values_list("version", flat=True))
    assert kept == [1, 2]
    assert [r.body for r in CaseNoteRevision.unscoped.filter(note=note).order_by("version")] == [
        "Panel on Thursday.",
        "Panel moved to Friday.",
    ]


def test_editing_a_contact_record_keeps_its_details_in_the_history():
    case, advocate = _on_team(Role.STALKING_ADVOCATE)
    victim = ParticipantFactory(case=case)
    client = verified_client(advocate)
    data = _contact_post(victim, contact_by=advocate.pk)
    client.post(reverse("cases:contact_add", kwargs={"case_id": case.pk}), data)
    record = CaseNote.unscoped.get()
    form = client.get(_edit_url(record)).context["form"]
    data = {name: form[name].value() for name in form.fields}
    data |= {"channel": ContactChannel.FACE_TO_FACE, "body": "Met at the advocacy office instead."}
    assert client.post(_edit_url(record), {k: v or "" for k, v in data.items()}).status_code == 302
    record.refresh_from_db()
    assert (record.channel, record.body, record.version) == (ContactChannel.FACE_TO_FACE, data["body"], 2)
    revision = CaseNoteRevision.unscoped.get()
    assert (revision.channel, revision.contact_with) == (ContactChannel.PHONE, victim)
    assert AuditEvent.objects.get(action=AuditAction.CHANGE).fields == ["body", "channel"]


@pytest.mark.parametrize(
    ("role", "compartment"),
    [(Role.SUPPORT_OFFICER, Compartment.TEAM), (Role.OUTREACH_WORKER, Compartment.ADVOCACY)],
)
def test_someone_elses_note_cannot_be_edited_without_the_change_permission(role, compartment):
    case, user = _on_team(role)
    note = CaseNoteFactory(case=case, compartment=compartment, body="Written by a colleague.")
    client = verified_client(user)
    assert client.get(_edit_url(note)).status_code == 403
    response = client.post(_edit_url(note), {"version": 1, "body": "Overwritten."})
    assert response.status_code == 403
    assert "Only the author of this entry" in response.content.decode()
    note.refresh_from_db()
    assert (note.body, note.version) == ("Written by a colleague.", 1)
    assert not CaseNoteRevision.unscoped.exists()


def test_the_author_without_change_permission_may_still_edit_their_own_note():
    case, support = _on_team(Role.SUPPORT_OFFICER)
    note = CaseNoteFactory(case=case, compartment=Compartment.TEAM, body="Typo hree.", created_by=support)
    assert verified_client(support).post(_edit_url(note), {"version": 1, "body": "Typo here."}).status_code == 302


# --- a note id from elsewhere ----------------------------------------------------------------


@pytest.mark.parametrize("which", ["other-case", "other-unit", "missing", "malformed", "hidden-compartment"])
@pytest.mark.parametrize("route", ["cases:note_edit", "cases:note_history"])
def test_a_note_id_from_elsewhere_is_the_same_audited_404(which, route):
    case, advocate = _on_team(Role.STALKING_ADVOCATE)
    other_case = CaseFactory(unit=case.unit)
    TeamMemberFactory(case=other_case, user=advocate)  # a case the advocate can see, but another one
    ids = {
        "other-case": CaseNoteFactory(case=other_case, created_by=advocate).pk,
        "other-unit": CaseNoteFactory(created_by=advocate).pk,
        "missing": uuid.uuid4(),
        "malformed": "not-a-uuid",
        "hidden-compartment": CaseNoteFactory(case=case, compartment=Compartment.HEALTH).pk,
    }
    url = reverse(route, kwargs={"case_id": case.pk, "note_id": ids[which]})
    response = verified_client(advocate).get(url)
    assert response.status_code == 404
    denied = AuditEvent.objects.get(actor=advocate, action=AuditAction.DENIED)
    assert denied.object_type == "cases.casenote"


# --- compartments -----------------------------------------------------------------------------


def test_a_note_in_a_compartment_the_author_cannot_write_is_refused_with_a_clear_message():
    case, clinician = _on_team(Role.CLINICIAN)
    response = verified_client(clinician).post(
        reverse("cases:note_add", kwargs={"case_id": case.pk}),
        {"compartment": Compartment.POLICE, "body": "Trying to write where I may not."},
    )
    assert response.status_code == 403
    html = response.content.decode()
    assert escape("Your role does not allow adding notes to the “Police only” compartment.") in html
    assert not CaseNote.unscoped.exists()


def test_a_contact_record_in_a_compartment_the_author_cannot_write_is_refused():
    case, advocate = _on_team(Role.STALKING_ADVOCATE)
    data = _contact_post(contact_by=str(advocate.pk), compartment=Compartment.HEALTH)
    response = verified_client(advocate).post(reverse("cases:contact_add", kwargs={"case_id": case.pk}), data)
    assert response.status_code == 403
    assert escape("“Clinical (health) only” compartment") in response.content.decode()
    assert not CaseNote.unscoped.exists()


# --- releasing a clinical summary ------------------------------------------------------------


def test_a_clinician_releases_a_summary_the_advocate_sees_it_but_never_the_clinical_note():
    case, clinician = _on_team(Role.CLINICIAN)
    _, advocate = _on_team(Role.STALKING_ADVOCATE, case=case)
    doctor, isac = verified_client(clinician), verified_client(advocate)

    note_add = reverse("cases:note_add", kwargs={"case_id": case.pk})
    assert doctor.post(note_add, {"compartment": Compartment.HEALTH, "body": CLINICAL}).status_code == 302
    health_note = CaseNote.unscoped.get()
    assert escape(CLINICAL) not in _detail(isac, case)
    release_url = reverse("cases:note_release", kwargs={"case_id": case.pk, "note_id": health_note.pk})
    assert "Release a summary to the team" in _detail(doctor, case)
    # The advocate can neither release it nor reach it by its id.
    assert isac.get(release_url).status_code == 403
    assert isac.get(_edit_url(health_note)).status_code == 404

    assert doctor.post(release_url, {"summary": "  "}).status_code == 200
    assert CaseNote.unscoped.count() == 1
    assert doctor.post(release_url, {"summary": SUMMARY}).status_code == 302

    released = CaseNote.unscoped.exclude(pk=health_note.pk).get()
    assert (released.kind, released.compartment, released.released_from, released.body, released.created_by) == (
        NoteKind.RELEASED_SUMMARY,
        Compartment.TEAM,
        health_note,
        SUMMARY,
        clinician,
    )
    health_note.refresh_from_db()
    assert (health_note.compartment, health_note.body) == (Compartment.HEALTH, CLINICAL)
    disclosed = AuditEvent.objects.get(action=AuditAction.DISCLOSE)
    assert (disclosed.actor, disclosed.object_id, disclosed.case_id, disclosed.detail) == (
        clinician,
        str(released.pk),
        case.pk,
        {"source": str(health_note.pk), "from": "health", "to": "team"},
    )
    html = _detail(isac, case)
    assert escape(SUMMARY) in html
    assert "Released clinical summary" in html
    assert escape(CLINICAL) not in html
    assert str(health_note.pk) not in html


def test_only_a_health_note_can_have_a_summary_released():
    case, clinician = _on_team(Role.CLINICIAN)
    team_note = CaseNoteFactory(case=case, compartment=Compartment.TEAM)
    url = reverse("cases:note_release", kwargs={"case_id": case.pk, "note_id": team_note.pk})
    response = verified_client(clinician).post(url, {"summary": SUMMARY}, follow=True)
    assert "Only a clinical (health) note can have a summary released to the team." in response.content.decode()
    assert CaseNote.unscoped.count() == 1
    assert not AuditEvent.objects.filter(action=AuditAction.DISCLOSE).exists()


def test_a_released_summary_is_changed_only_by_a_role_that_writes_health_notes():
    from masip.cases.services import case_note_may_edit, case_note_release_summary

    case = CaseFactory()
    _, clinician = _on_team(Role.CLINICIAN, case)
    _, advocate = _on_team(Role.STALKING_ADVOCATE, case)
    _, manager = _on_team(Role.UNIT_MANAGER, case)
    note = CaseNoteFactory(case=case, compartment=Compartment.HEALTH, created_by=clinician, body="Clinical detail.")
    summary = case_note_release_summary(actor=clinician, note=note, summary="Engaging with treatment.")
    assert case_note_may_edit(actor=clinician, note=summary)
    # The team reads the clinician's wording; it does not rewrite it.
    assert not case_note_may_edit(actor=advocate, note=summary)
    assert not case_note_may_edit(actor=manager, note=summary)
    assert verified_client(advocate).get(_edit_url(summary)).status_code in (403, 404)
