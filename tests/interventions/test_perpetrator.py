"""Perpetrator interventions through the pages and services: clinical work kept in health and
out of other roles' sight, programme sessions planned weekly with attendance, a clinician's
suitability decision, and stale edits refused."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from masip.access.policy import Compartment
from masip.accounts.models import Role
from masip.audit.models import AuditAction, AuditEvent
from masip.cases.models import ParticipantRole
from masip.interventions import services_perpetrator as services
from masip.interventions.models_perpetrator import (
    Attendance,
    InterventionKind,
    InterventionStatus,
    PerpetratorIntervention,
    ProgrammeSession,
    Suitability,
    SuitabilityDecision,
)
from tests.conftest import verified_client
from tests.factories import CaseFactory, ParticipantFactory, TeamMemberFactory, member

pytestmark = pytest.mark.django_db

ATTENDANCE_NOTE = "Arrived late; discussed the rumination diary."


@pytest.fixture
def world():
    """A case with a suspect, and a clinician and an advocate on its team."""
    case = CaseFactory()
    suspect = ParticipantFactory(case=case, role=ParticipantRole.SUSPECT)
    clinician = member(Role.CLINICIAN, unit=case.unit)
    advocate = member(Role.STALKING_ADVOCATE, unit=case.unit)
    for user in (clinician, advocate):
        TeamMemberFactory(case=case, user=user)
    return case, suspect, clinician, advocate


def _url(name, case, **kwargs):
    return reverse(f"interventions:{name}", kwargs={"case_id": case.pk, **kwargs})


def _post(participant, **overrides):
    data = {
        "participant": str(participant.pk),
        "kind": InterventionKind.SOCIAL_SUPPORT,
        "compartment": "",
        "provider": "Housing Options",
        "started_on": "2026-01-05",
        "ended_on": "",
        "status": InterventionStatus.PROPOSED,
        "outcome": "",
    }
    data.update(overrides)
    return data


def _programme(case, suspect, clinician):
    return services.perpetrator_intervention_create(
        actor=clinician,
        case=case,
        draft=services.InterventionDraft(
            participant_id=suspect.pk,
            kind=InterventionKind.TREATMENT_PROGRAMME,
            status=InterventionStatus.IN_PROGRESS,
            provider="Forensic psychology service",
            started_on=date(2026, 1, 5),
        ),
    )


def test_a_clinical_kind_goes_to_health_and_a_warning_visit_to_police(world):
    case, suspect, clinician, _ = world
    programme = _programme(case, suspect, clinician)
    assert programme.compartment == Compartment.HEALTH
    officer = member(Role.POLICE_INVESTIGATOR, unit=case.unit)
    TeamMemberFactory(case=case, user=officer)
    response = verified_client(officer).post(
        _url("perpetrator_add", case), _post(suspect, kind=InterventionKind.WARNING_VISIT, provider="PC 123 Jones")
    )
    assert response.status_code == 302
    visit = PerpetratorIntervention.unscoped.get(kind=InterventionKind.WARNING_VISIT)
    assert visit.compartment == Compartment.POLICE


def test_a_clinical_kind_cannot_be_put_with_the_team(world):
    case, suspect, clinician, _ = world
    with pytest.raises(ValidationError) as refused:
        services.perpetrator_intervention_create(
            actor=clinician,
            case=case,
            draft=services.InterventionDraft(
                participant_id=suspect.pk,
                kind=InterventionKind.PSYCHOLOGICAL_ASSESSMENT,
                status=InterventionStatus.PROPOSED,
                compartment=Compartment.TEAM,
            ),
        )
    assert "compartment" in refused.value.message_dict
    assert not PerpetratorIntervention.unscoped.exists()


def test_an_advocate_cannot_record_a_clinical_intervention_and_is_told_who_can(world):
    case, suspect, _, advocate = world
    response = verified_client(advocate).post(
        _url("perpetrator_add", case), _post(suspect, kind=InterventionKind.TREATMENT_PROGRAMME)
    )
    assert response.status_code == 200
    assert "Choose from the list" in response.content.decode()  # the kind is not offered to them
    with pytest.raises(ValidationError) as refused:
        services.perpetrator_intervention_create(
            actor=advocate,
            case=case,
            draft=services.InterventionDraft(
                participant_id=suspect.pk, kind=InterventionKind.TREATMENT_PROGRAMME, status="proposed"
            ),
        )
    assert "clinician" in refused.value.message_dict["kind"][0]
    assert not PerpetratorIntervention.unscoped.exists()


def test_sessions_are_planned_weekly_with_a_follow_up(world):
    case, suspect, clinician, _ = world
    programme = _programme(case, suspect, clinician)
    response = verified_client(clinician).post(
        _url("perpetrator_programme_plan", case, programme_id=programme.pk),
        {"first_on": "2026-01-05", "weekly": "8", "follow_up_weeks": "4"},
    )
    assert response.status_code == 302
    sessions = list(ProgrammeSession.unscoped.filter(programme=programme).order_by("number"))
    assert [s.planned_on for s in sessions[:8]] == [date(2026, 1, 5) + timedelta(weeks=n) for n in range(8)]
    assert len(sessions) == 9
    assert sessions[-1].is_follow_up
    assert sessions[-1].planned_on == date(2026, 2, 23) + timedelta(weeks=4)
    assert {s.compartment for s in sessions} == {Compartment.HEALTH}
    # Planning again would silently replace the plan: refused.
    with pytest.raises(ValidationError):
        services.perpetrator_programme_plan(
            actor=clinician, programme=programme, first_on=date(2026, 3, 1), weekly=4, follow_up_weeks=None
        )
    assert ProgrammeSession.unscoped.filter(programme=programme).count() == 9


def test_attendance_is_recorded_in_health_seen_by_the_clinician_and_hidden_from_the_advocate(world):
    case, suspect, clinician, advocate = world
    programme = _programme(case, suspect, clinician)
    sessions = services.perpetrator_programme_plan(
        actor=clinician, programme=programme, first_on=date(2026, 1, 5), weekly=8, follow_up_weeks=4
    )
    first, second = sessions[0], sessions[1]
    clinic = verified_client(clinician)
    session_url = _url("perpetrator_session", case, programme_id=programme.pk, session_id=first.pk)
    response = clinic.post(session_url, {"version": "1", "attendance": Attendance.ATTENDED, "note": ATTENDANCE_NOTE})
    assert response.status_code == 302
    services.perpetrator_session_record(
        actor=clinician, session=second, expected_version=1, attendance=Attendance.DID_NOT_ATTEND
    )
    first.refresh_from_db()
    assert first.attendance == Attendance.ATTENDED
    assert first.note == ATTENDANCE_NOTE
    audit = AuditEvent.objects.filter(action=AuditAction.CHANGE, object_id=str(first.pk)).get()
    assert audit.actor == clinician
    assert ATTENDANCE_NOTE not in str(audit.detail) + str(audit.fields)

    page = clinic.get(_url("perpetrator_programme", case, programme_id=programme.pk)).content.decode()
    assert ATTENDANCE_NOTE in page
    assert "Attended 1 of 2 sessions recorded (9 planned)" in page
    assert "Treatment programme" in clinic.get(_url("perpetrator_list", case)).content.decode()

    outsider = verified_client(advocate)
    listing = outsider.get(_url("perpetrator_list", case))
    assert listing.status_code == 200
    assert "Treatment programme" not in listing.content.decode()
    assert ATTENDANCE_NOTE not in listing.content.decode()
    for url in (
        _url("perpetrator_detail", case, intervention_id=programme.pk),
        _url("perpetrator_edit", case, intervention_id=programme.pk),
    ):
        assert outsider.get(url).status_code == 404
    # The programme and session pages are clinical: the advocate is refused outright.
    for url in (_url("perpetrator_programme", case, programme_id=programme.pk), session_url):
        assert outsider.get(url).status_code in (403, 404)
    with pytest.raises(PermissionDenied):
        services.perpetrator_session_record(
            actor=advocate, session=first, expected_version=2, attendance=Attendance.DID_NOT_ATTEND
        )


def test_a_stale_attendance_form_is_refused(world):
    case, suspect, clinician, _ = world
    programme = _programme(case, suspect, clinician)
    (session,) = services.perpetrator_programme_plan(
        actor=clinician, programme=programme, first_on=date(2026, 1, 5), weekly=1, follow_up_weeks=None
    )
    services.perpetrator_session_record(actor=clinician, session=session, expected_version=1, attendance="attended")
    response = verified_client(clinician).post(
        _url("perpetrator_session", case, programme_id=programme.pk, session_id=session.pk),
        {"version": "1", "attendance": Attendance.CANCELLED_BY_CLIENT, "note": ""},
    )
    assert response.status_code == 409
    session.refresh_from_db()
    assert session.attendance == Attendance.ATTENDED


def test_only_a_clinician_records_a_suitability_decision(world):
    case, suspect, clinician, advocate = world
    officer = member(Role.POLICE_INVESTIGATOR, unit=case.unit)
    TeamMemberFactory(case=case, user=officer)
    data = {"participant": str(suspect.pk), "decision": Suitability.DEFERRED, "reasons": "Investigation is live."}
    for user in (advocate, officer):
        assert verified_client(user).post(_url("perpetrator_suitability_decide", case), data).status_code == 403
        with pytest.raises(PermissionDenied):
            services.perpetrator_suitability_decide(
                actor=user, case=case, participant_id=suspect.pk, decision="deferred", reasons="Investigation is live."
            )
    assert not SuitabilityDecision.unscoped.exists()
    assert verified_client(clinician).post(_url("perpetrator_suitability_decide", case), data).status_code == 302
    assert SuitabilityDecision.unscoped.get().created_by == clinician


def test_a_suitability_decision_needs_reasons(world):
    case, suspect, clinician, _ = world
    response = verified_client(clinician).post(
        _url("perpetrator_suitability_decide", case),
        {"participant": str(suspect.pk), "decision": Suitability.SUITABLE, "reasons": "   "},
    )
    assert response.status_code == 200
    assert "Enter the reasons for the decision." in response.content.decode()
    with pytest.raises(ValidationError) as refused:
        services.perpetrator_suitability_decide(
            actor=clinician, case=case, participant_id=suspect.pk, decision="suitable", reasons=" "
        )
    assert "reasons" in refused.value.message_dict
    assert not SuitabilityDecision.unscoped.exists()


def test_a_later_decision_supersedes_and_the_earlier_is_kept(world):
    case, suspect, clinician, _ = world
    first = services.perpetrator_suitability_decide(
        actor=clinician, case=case, participant_id=suspect.pk, decision="deferred", reasons="Investigation is live."
    )
    later = services.perpetrator_suitability_decide(
        actor=clinician, case=case, participant_id=suspect.pk, decision="suitable", reasons="NFA; motivated to engage."
    )
    first.refresh_from_db()
    assert first.superseded_by == later
    assert first.decision == Suitability.DEFERRED
    assert first.reasons == "Investigation is live."
    page = verified_client(clinician).get(_url("perpetrator_suitability", case)).content.decode()
    assert "Investigation is live." in page
    assert "(superseded)" in page
    assert "(current)" in page
    creates = AuditEvent.objects.filter(action=AuditAction.CREATE, object_type="interventions.suitabilitydecision")
    assert creates.count() == 2


def test_a_stale_edit_is_refused_with_what_changed(world):
    case, suspect, _, advocate = world
    support = member(Role.OUTREACH_WORKER, unit=case.unit)
    TeamMemberFactory(case=case, user=support)
    item = services.perpetrator_intervention_create(
        actor=advocate,
        case=case,
        draft=services.InterventionDraft(participant_id=suspect.pk, kind="social_support", status="proposed"),
    )
    services.perpetrator_intervention_update(
        actor=advocate,
        intervention=item,
        expected_version=1,
        draft=services.InterventionDraft(
            participant_id=suspect.pk, kind="social_support", status="accepted", provider="Shelter"
        ),
    )
    response = verified_client(advocate).post(
        _url("perpetrator_edit", case, intervention_id=item.pk),
        _post(suspect, version="1", status=InterventionStatus.DECLINED, provider="Council"),
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert "Someone else changed this intervention" in page
    assert "<li>Status</li>" in page
    assert "<li>Provider</li>" in page
    item.refresh_from_db()
    assert (item.status, item.provider, item.version) == (InterventionStatus.ACCEPTED, "Shelter", 2)
    # Sending it again, knowingly, saves it.
    again = verified_client(advocate).post(
        _url("perpetrator_edit", case, intervention_id=item.pk),
        _post(suspect, version="2", status=InterventionStatus.DECLINED, provider="Council"),
    )
    assert again.status_code == 302
    item.refresh_from_db()
    assert item.status == InterventionStatus.DECLINED
    assert item.version == 3


def test_reads_are_audited_and_the_case_links_to_the_list(world):
    case, suspect, clinician, _ = world
    programme = _programme(case, suspect, clinician)
    client = verified_client(clinician)
    detail = client.get(reverse("cases:detail", kwargs={"case_id": case.pk})).content.decode()
    assert _url("perpetrator_list", case) in detail
    client.get(_url("perpetrator_detail", case, intervention_id=programme.pk))
    viewed = AuditEvent.objects.filter(action=AuditAction.VIEW, object_id=str(programme.pk), actor=clinician)
    assert viewed.exists()
    assert "outcome" in viewed.first().fields


def test_an_end_before_the_start_is_refused(world):
    case, suspect, _, advocate = world
    response = verified_client(advocate).post(
        _url("perpetrator_add", case), _post(suspect, started_on="2026-02-01", ended_on="2026-01-01")
    )
    assert response.status_code == 200
    assert "is before the start date" in response.content.decode()
    assert not PerpetratorIntervention.unscoped.exists()
