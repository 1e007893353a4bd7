from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from masip.accounts.models import Role
from masip.audit.models import AuditEvent
from masip.cases.models import Case, CaseParticipant, ParticipantRole
from masip.core.models import StaleEditError
from masip.people.matching import PersonDetails
from masip.people.models import Person
from masip.people.services import person_create
from masip.referrals.models import (
    Referral,
    ReferralStatus,
    ReferralSubject,
    Screening,
    SubjectRole,
    TriageDeadlines,
    TriageDecision,
    Urgency,
)
from masip.referrals.questions import CURRENT_QUESTION_SET
from masip.referrals.selectors import candidates_for_subject, referrals_of_referrer
from masip.referrals.services import (
    SubjectEntry,
    decision_deadline_for,
    referral_assign_screener,
    referral_save_draft,
    referral_subject_create_person,
    referral_subject_link,
    referral_submit,
    referral_withdraw,
    screening_save,
    triage_decide,
)
from tests.factories import PersonFactory, UnitFactory, member

from .helpers import SUSPECT, UNIDENTIFIED, VICTIM, complete_draft, referrer_in, submitted_referral

pytestmark = pytest.mark.django_db


def _events(obj: object) -> list[tuple[str, list[str]]]:
    return [
        (e.action, e.fields)
        for e in AuditEvent.objects.filter(object_id=str(obj.pk)).order_by("seq")  # type: ignore[attr-defined]
    ]


def _fresh(referral: Referral) -> Referral:
    return Referral.unscoped.get(pk=referral.pk)


# Drafting and submitting ---------------------------------------------------------------------


def test_a_draft_is_saved_resumed_and_submitted_with_a_deadline() -> None:
    unit = UnitFactory(code="chs")
    referrer = referrer_in(unit)
    draft = referral_save_draft(actor=referrer, unit=unit, draft=complete_draft(subjects=(VICTIM,)))
    assert draft.status == ReferralStatus.DRAFT
    assert draft.received_at is None
    assert draft.reference == f"CHS-REF-{timezone.localdate().year}-0001"
    assert draft.source_agency_id == referrer.agency_id

    resumed = referral_save_draft(
        actor=referrer, unit=unit, referral=draft, expected_version=draft.version, draft=complete_draft()
    )
    assert sorted(ReferralSubject.unscoped.filter(referral=resumed).values_list("role", flat=True)) == [
        "suspect",
        "victim",
    ]
    submitted = referral_submit(actor=referrer, referral=resumed, expected_version=resumed.version)

    stored = _fresh(submitted)
    assert stored.status == ReferralStatus.RECEIVED
    assert stored.received_at is not None
    assert stored.decision_deadline is not None
    assert stored.decision_deadline > timezone.localdate(stored.received_at)
    assert _events(stored) == [
        ("create", sorted([*_draft_fields(), "subjects"])),
        ("change", sorted([*_draft_fields(), "subjects"])),
        ("change", ["decision_deadline", "received_at", "status"]),
    ]


def _draft_fields() -> list[str]:
    from masip.referrals.services import _DRAFT_FIELDS

    return list(_DRAFT_FIELDS)


def test_deadline_uses_the_units_working_days_for_the_urgency() -> None:
    unit = UnitFactory()
    TriageDeadlines.objects.create(unit=unit, immediate_days=1, urgent_days=3, routine_days=10)
    # Wednesday 23 December 2026: Christmas Day and Boxing Day (observed Monday 28th) do not count.
    assert decision_deadline_for(unit_id=unit.pk, urgency=Urgency.URGENT, received_on=date(2026, 12, 23)) == date(
        2026, 12, 30
    )
    # Friday before the spring bank holiday Monday (25 May 2026).
    assert decision_deadline_for(unit_id=unit.pk, urgency=Urgency.IMMEDIATE, received_on=date(2026, 5, 22)) == date(
        2026, 5, 26
    )
    # A unit with no settings of its own gets the defaults (routine: 5 working days).
    other = UnitFactory()
    assert decision_deadline_for(unit_id=other.pk, urgency=Urgency.ROUTINE, received_on=date(2026, 12, 23)) == date(
        2027, 1, 4
    )
    referral = submitted_referral(unit=unit, urgency=Urgency.ROUTINE)
    assert referral.decision_deadline == decision_deadline_for(
        unit_id=unit.pk, urgency=Urgency.ROUTINE, received_on=timezone.localdate(referral.received_at)
    )


def test_default_deadline_when_the_unit_has_set_none() -> None:
    referral = submitted_referral(unit=UnitFactory(), urgency=Urgency.ROUTINE)
    from masip.core.workdays import add_working_days

    assert referral.decision_deadline == add_working_days(timezone.localdate(referral.received_at), 5)


def test_submission_reports_every_missing_field_and_writes_nothing() -> None:
    unit = UnitFactory()
    referrer = referrer_in(unit)
    draft = referral_save_draft(actor=referrer, unit=unit, draft=complete_draft(subjects=(), consent_to_referral=None))
    with pytest.raises(ValidationError) as raised:
        referral_submit(actor=referrer, referral=draft, expected_version=draft.version)
    errors = raised.value.message_dict
    assert set(errors) == {"victims", "suspects", "consent_to_referral"}
    assert "at least one victim" in errors["victims"][0]
    assert _fresh(draft).status == ReferralStatus.DRAFT


def test_an_unidentified_suspect_is_a_valid_referral() -> None:
    referral = submitted_referral(unit=UnitFactory(), subjects=(VICTIM, UNIDENTIFIED))
    assert _fresh(referral).status == ReferralStatus.RECEIVED


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        (
            {
                "subjects": (
                    VICTIM,
                    SubjectEntry(
                        role=SubjectRole.SUSPECT,
                        family_name="Mason",
                        date_of_birth=timezone.localdate() + timedelta(days=30),
                    ),
                )
            },
            "date_of_birth",
        ),
        ({"consent_to_referral_on": timezone.localdate() + timedelta(days=2)}, "consent_to_referral"),
        ({"consent_to_referral_on": None}, "consent_to_referral"),
        (
            {
                "subjects": (
                    VICTIM,
                    SubjectEntry(role=SubjectRole.SUSPECT, family_name="Mason", nhs_number="123 456 7890"),
                )
            },
            "nhs_number",
        ),
        ({"subjects": (SubjectEntry(role=SubjectRole.VICTIM), SUSPECT)}, "victims"),
    ],
)
def test_impossible_or_incomplete_details_are_refused(overrides: dict, field: str) -> None:
    unit = UnitFactory()
    referrer = referrer_in(unit)
    draft = referral_save_draft(actor=referrer, unit=unit, draft=complete_draft(**overrides))
    with pytest.raises(ValidationError) as raised:
        referral_submit(actor=referrer, referral=draft, expected_version=draft.version)
    assert field in raised.value.message_dict
    assert _fresh(draft).status == ReferralStatus.DRAFT


def test_a_referral_dated_in_the_future_is_refused() -> None:
    unit = UnitFactory()
    referrer = referrer_in(unit)
    draft = referral_save_draft(actor=referrer, unit=unit, draft=complete_draft())
    with pytest.raises(ValidationError) as raised:
        referral_submit(
            actor=referrer,
            referral=draft,
            expected_version=draft.version,
            received_at=timezone.now() + timedelta(days=3),
        )
    assert "in the future" in raised.value.message_dict["received_at"][0]


def test_birth_after_a_back_dated_referral_is_refused() -> None:
    unit = UnitFactory()
    referrer = referrer_in(unit)
    baby = SubjectEntry(
        role=SubjectRole.VICTIM, given_name="Ann", date_of_birth=timezone.localdate() - timedelta(days=5)
    )
    draft = referral_save_draft(
        actor=referrer,
        unit=unit,
        draft=complete_draft(
            subjects=(baby, UNIDENTIFIED),
            consent_to_referral_on=None,
            consent_to_sharing=None,
            consent_to_sharing_on=None,
            consent_to_referral=False,
        ),
    )
    with pytest.raises(ValidationError) as raised:
        referral_submit(
            actor=referrer,
            referral=draft,
            expected_version=draft.version,
            received_at=timezone.now() - timedelta(days=10),
        )
    assert set(raised.value.message_dict) == {"date_of_birth", "consent_to_referral"}


def test_choices_outside_the_lists_are_refused_at_draft() -> None:
    unit = UnitFactory()
    referrer = referrer_in(unit)
    with pytest.raises(ValidationError) as raised:
        referral_save_draft(
            actor=referrer,
            unit=unit,
            draft=complete_draft(urgency="whenever", behaviours=("telepathy",), relationship="pen pal"),
        )
    assert set(raised.value.message_dict) == {"urgency", "behaviours", "relationship"}
    assert not Referral.unscoped.filter(unit=unit).exists()


def test_formula_text_is_stored_as_typed() -> None:
    referral = submitted_referral(unit=UnitFactory(), crime_reference='=HYPERLINK("x")', summary="=1+1")
    stored = _fresh(referral)
    assert stored.crime_reference == '=HYPERLINK("x")'
    assert stored.summary == "=1+1"


def test_external_reference_is_unique_per_agency() -> None:
    unit = UnitFactory()
    referrer = referrer_in(unit)
    referral_save_draft(actor=referrer, unit=unit, draft=complete_draft(external_reference="NP-1"))
    with pytest.raises(ValidationError) as raised:
        referral_save_draft(actor=referrer, unit=unit, draft=complete_draft(external_reference="NP-1"))
    assert "already sent" in raised.value.message_dict["external_reference"][0]
    # Another agency may use the same reference.
    referral_save_draft(actor=referrer_in(unit), unit=unit, draft=complete_draft(external_reference="NP-1"))
    assert Referral.unscoped.filter(external_reference="NP-1").count() == 2


def test_only_the_author_changes_a_draft_and_only_while_it_is_one() -> None:
    unit = UnitFactory()
    referrer = referrer_in(unit)
    draft = referral_save_draft(actor=referrer, unit=unit, draft=complete_draft())
    with pytest.raises(PermissionDenied):
        referral_save_draft(
            actor=referrer_in(unit), unit=unit, referral=draft, expected_version=draft.version, draft=complete_draft()
        )
    with pytest.raises(StaleEditError):
        referral_save_draft(actor=referrer, unit=unit, referral=draft, expected_version=99, draft=complete_draft())
    referral_submit(actor=referrer, referral=draft, expected_version=draft.version)
    with pytest.raises(ValidationError):
        referral_save_draft(
            actor=referrer, unit=unit, referral=draft, expected_version=draft.version, draft=complete_draft()
        )


def test_someone_without_a_role_in_the_unit_cannot_refer_to_it() -> None:
    outsider = referrer_in(UnitFactory())
    with pytest.raises(PermissionDenied):
        referral_save_draft(actor=outsider, unit=UnitFactory(), draft=complete_draft())


# Screening -----------------------------------------------------------------------------------


def test_a_screening_from_a_page_opened_before_the_decision_is_refused() -> None:
    unit = UnitFactory()
    referral = submitted_referral(unit=unit)
    screener = member(Role.POLICE_INVESTIGATOR, unit=unit)
    stale_page = Referral.unscoped.get(pk=referral.pk)  # loaded before a colleague decides
    triage_decide(
        actor=screener,
        referral=referral,
        decision="signposted",
        reasons="Out of area.",
        expected_version=referral.version,
    )
    with pytest.raises(ValidationError):
        screening_save(
            actor=screener,
            referral=stale_page,
            fixated="yes",
            obsessive="yes",
            unwanted="yes",
            repeated="yes",
            answers={},
        )
    assert not Screening.unscoped.filter(referral=referral).exists()


def test_screening_records_four_and_the_question_set() -> None:
    unit = UnitFactory()
    referral = submitted_referral(unit=unit)
    screener = member(Role.POLICE_INVESTIGATOR, unit=unit)
    screening = screening_save(
        actor=screener,
        referral=referral,
        fixated="yes",
        obsessive="yes",
        unwanted="yes",
        repeated="unknown",
        answers={"fear": "yes", "threats": "no"},
    )
    stored = Screening.unscoped.get(pk=screening.pk)
    assert (stored.question_set_id, stored.question_set_version) == (
        CURRENT_QUESTION_SET.id,
        CURRENT_QUESTION_SET.version,
    )
    assert set(stored.answers) == set(CURRENT_QUESTION_SET.question_ids())
    assert stored.answers["fear"] == "yes"
    assert stored.answers["weapons"] == "unknown"
    assert _fresh(referral).status == ReferralStatus.SCREENING
    assert _fresh(referral).version == referral.version  # a screener's open decision form stays valid
    assert 10 <= len(CURRENT_QUESTION_SET.questions) <= 12


def test_harassment_rather_than_stalking_needs_the_reason() -> None:
    unit = UnitFactory()
    referral = submitted_referral(unit=unit)
    screener = member(Role.CLINICIAN, unit=unit)
    four = {"fixated": "no", "obsessive": "no", "unwanted": "yes", "repeated": "yes"}
    with pytest.raises(ValidationError) as raised:
        screening_save(actor=screener, referral=referral, answers={}, harassment_not_stalking=True, **four)
    assert "harassment_reason" in raised.value.message_dict
    assert not Screening.unscoped.filter(referral=referral).exists()
    screening = screening_save(
        actor=screener,
        referral=referral,
        answers={},
        harassment_not_stalking=True,
        harassment_reason="Two messages about a debt; no fixation.",
        **four,
    )
    revised = screening_save(
        actor=screener, referral=referral, answers={"fear": "yes"}, expected_version=screening.version, **four
    )
    assert revised.version == 2
    assert revised.harassment_reason == ""
    with pytest.raises(StaleEditError):
        screening_save(actor=screener, referral=referral, answers={}, expected_version=1, **four)
    with pytest.raises(StaleEditError):  # a second "first" screening
        screening_save(actor=screener, referral=referral, answers={}, **four)


def test_unknown_question_answers_are_refused() -> None:
    unit = UnitFactory()
    referral = submitted_referral(unit=unit)
    with pytest.raises(ValidationError):
        screening_save(
            actor=member(Role.CLINICIAN, unit=unit),
            referral=referral,
            fixated="yes",
            obsessive="yes",
            unwanted="yes",
            repeated="yes",
            answers={"licensed_item_7": "yes"},
        )


def test_a_referrer_cannot_screen_or_decide() -> None:
    unit = UnitFactory()
    referrer = referrer_in(unit)
    referral = submitted_referral(unit=unit, referrer=referrer)
    with pytest.raises(PermissionDenied):
        screening_save(
            actor=referrer,
            referral=referral,
            fixated="yes",
            obsessive="yes",
            unwanted="yes",
            repeated="yes",
            answers={},
        )
    with pytest.raises(PermissionDenied):
        triage_decide(
            actor=referrer, referral=referral, decision="accepted", reasons="x", expected_version=referral.version
        )
    # A screener in another unit is no better.
    with pytest.raises(PermissionDenied):
        triage_decide(
            actor=member(Role.UNIT_MANAGER),
            referral=referral,
            decision="accepted",
            reasons="x",
            expected_version=referral.version,
        )


def test_assigning_a_screener() -> None:
    unit = UnitFactory()
    referral = submitted_referral(unit=unit)
    manager = member(Role.UNIT_MANAGER, unit=unit)
    screener = member(Role.CLINICIAN, unit=unit)
    with pytest.raises(ValidationError):
        referral_assign_screener(
            actor=manager,
            referral=referral,
            screener=member(Role.STALKING_ADVOCATE, unit=unit),
            expected_version=referral.version,
        )
    referral_assign_screener(actor=manager, referral=referral, screener=screener, expected_version=referral.version)
    stored = _fresh(referral)
    assert (stored.screener_id, stored.status) == (screener.pk, ReferralStatus.SCREENING)


# Linking people ------------------------------------------------------------------------------


def test_linking_to_another_units_person_is_refused() -> None:
    unit = UnitFactory()
    referral = submitted_referral(unit=unit)
    screener = member(Role.POLICE_INVESTIGATOR, unit=unit)
    subject = ReferralSubject.unscoped.get(referral=referral, role=SubjectRole.SUSPECT)
    with pytest.raises(ValidationError):
        referral_subject_link(actor=screener, subject=subject, person=PersonFactory())
    assert ReferralSubject.unscoped.get(pk=subject.pk).person_id is None


def test_creating_a_person_for_a_subject_links_it_and_audits_the_decision() -> None:
    unit = UnitFactory()
    referral = submitted_referral(unit=unit)
    screener = member(Role.POLICE_INVESTIGATOR, unit=unit)
    subject = ReferralSubject.unscoped.get(referral=referral, role=SubjectRole.VICTIM)
    person = referral_subject_create_person(actor=screener, subject=subject)
    assert (person.unit_id, person.family_name, person.date_of_birth) == (unit.pk, "Hart", VICTIM.date_of_birth)
    # The victim's contact details the referrer gave reach the record the unit works from.
    assert Person.unscoped.get(pk=person.pk).phone == VICTIM.phone
    assert ReferralSubject.unscoped.get(pk=subject.pk).person_id == person.pk
    link = AuditEvent.objects.get(object_id=str(subject.pk))
    assert (link.action, link.fields, link.person_id, link.detail["decision"]) == (
        "change",
        ["person"],
        person.pk,
        "created new person",
    )
    with pytest.raises(ValidationError):
        referral_subject_create_person(actor=screener, subject=ReferralSubject.unscoped.get(pk=subject.pk))


# Triage --------------------------------------------------------------------------------------


def test_full_path_from_draft_to_case_with_a_suspect_known_from_an_earlier_referral(
    django_capture_on_commit_callbacks,
) -> None:
    unit = UnitFactory(code="wsx")
    screener = member(Role.POLICE_INVESTIGATOR, unit=unit)
    # An earlier referral made Robert Mason known to the unit.
    earlier = submitted_referral(
        unit=unit, subjects=(SubjectEntry(role=SubjectRole.VICTIM, given_name="Beth", family_name="Lee"), SUSPECT)
    )
    earlier_suspect = ReferralSubject.unscoped.get(referral=earlier, role=SubjectRole.SUSPECT)
    known = referral_subject_create_person(actor=screener, subject=earlier_suspect)

    referrer = referrer_in(unit)
    bob = SubjectEntry(
        role=SubjectRole.SUSPECT, given_name="Bob", family_name="Mason", date_of_birth=SUSPECT.date_of_birth
    )
    draft = referral_save_draft(actor=referrer, unit=unit, draft=complete_draft(subjects=(VICTIM, bob)))
    referral = referral_submit(actor=referrer, referral=draft, expected_version=draft.version)
    assert referral in screening_queue_for(screener)

    screening_save(
        actor=screener,
        referral=referral,
        fixated="yes",
        obsessive="yes",
        unwanted="yes",
        repeated="yes",
        answers={"fear": "yes"},
    )
    suspect = ReferralSubject.unscoped.get(referral=referral, role=SubjectRole.SUSPECT)
    found = candidates_for_subject(user=screener, subject=suspect)
    assert found.candidates
    assert found.candidates[0].person.pk == known.pk
    referral_subject_link(actor=screener, subject=suspect, person=found.candidates[0].person)

    referral = _fresh(referral)
    with django_capture_on_commit_callbacks(execute=True):
        decided = triage_decide(
            actor=screener,
            referral=referral,
            decision=TriageDecision.ACCEPTED,
            reasons="FOUR met; escalating visits to the workplace.",
            expected_version=referral.version,
        )

    case = Case.unscoped.get(pk=decided.case_id)
    assert case.unit_id == unit.pk
    assert case.reference == f"WSX-{timezone.localdate().year}-0001"
    participants = {(p.person_id, p.role) for p in CaseParticipant.unscoped.filter(case=case)}
    victim_person = ReferralSubject.unscoped.get(referral=referral, role=SubjectRole.VICTIM).person_id
    assert victim_person is not None
    assert participants == {(known.pk, ParticipantRole.SUSPECT), (victim_person, ParticipantRole.VICTIM)}
    assert list(Case.objects.visible_to(screener)) == [case]
    # The referrer sees the decision, never the case.
    assert list(Case.objects.visible_to(referrer)) == []
    mine = {view.reference: view for view in referrals_of_referrer(user=referrer)}
    assert mine[referral.reference].decision == TriageDecision.ACCEPTED
    assert mine[referral.reference].status == ReferralStatus.DECIDED
    assert mail.outbox == []  # only partner-managed decisions email the referrer


def screening_queue_for(user):  # type: ignore[no-untyped-def]
    from masip.referrals.selectors import screening_queue

    return list(screening_queue(user=user))


def test_partner_managed_needs_advice_which_the_referrer_reads(django_capture_on_commit_callbacks) -> None:
    unit = UnitFactory()
    referrer = referrer_in(unit)
    referral = submitted_referral(unit=unit, referrer=referrer)
    screener = member(Role.CLINICIAN, unit=unit)
    with pytest.raises(ValidationError) as raised:
        triage_decide(
            actor=screener,
            referral=referral,
            decision=TriageDecision.PARTNER_MANAGED,
            reasons="Low concern at present.",
            expected_version=referral.version,
        )
    assert "advice" in raised.value.message_dict
    with django_capture_on_commit_callbacks(execute=True):
        triage_decide(
            actor=screener,
            referral=referral,
            decision=TriageDecision.PARTNER_MANAGED,
            reasons="Low concern at present.",
            advice="Complete a safety plan with the victim and refer again if visits resume.",
            expected_version=referral.version,
        )
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [referrer.email]
    assert referral.reference in message.subject
    assert "safety plan" not in message.body  # the advice is read in masip, not sent in clear
    [view] = referrals_of_referrer(user=referrer)
    assert view.advice.startswith("Complete a safety plan")
    assert _fresh(referral).case_id is None


def test_reasons_are_always_required() -> None:
    unit = UnitFactory()
    referral = submitted_referral(unit=unit)
    with pytest.raises(ValidationError) as raised:
        triage_decide(
            actor=member(Role.CLINICIAN, unit=unit),
            referral=referral,
            decision=TriageDecision.NO_FURTHER_ACTION,
            reasons="  ",
            expected_version=referral.version,
        )
    assert "reasons" in raised.value.message_dict
    assert _fresh(referral).status == ReferralStatus.RECEIVED


def test_two_screeners_deciding_at_once_the_second_is_told_and_nothing_changes() -> None:
    unit = UnitFactory()
    referral = submitted_referral(unit=unit)
    first, second = member(Role.CLINICIAN, unit=unit), member(Role.POLICE_INVESTIGATOR, unit=unit)
    # Both opened the decision page on the same version.
    seen_by_first, seen_by_second = _fresh(referral), _fresh(referral)
    triage_decide(
        actor=first,
        referral=seen_by_first,
        decision=TriageDecision.SIGNPOSTED,
        reasons="Signposted to the national helpline.",
        expected_version=seen_by_first.version,
    )
    events_before = AuditEvent.objects.count()
    with pytest.raises(StaleEditError) as raised:
        triage_decide(
            actor=second,
            referral=seen_by_second,
            decision=TriageDecision.ACCEPTED,
            reasons="Accept.",
            expected_version=seen_by_second.version,
        )
    assert "changed by someone else" in str(raised.value)
    stored = _fresh(referral)
    assert (stored.decision, stored.decided_by_id, stored.case_id) == (TriageDecision.SIGNPOSTED, first.pk, None)
    assert AuditEvent.objects.count() == events_before
    assert not Case.unscoped.filter(unit=unit).exists()
    assert not Person.unscoped.filter(unit=unit).exists()


def test_a_decided_referral_cannot_be_decided_again() -> None:
    unit = UnitFactory()
    referral = submitted_referral(unit=unit)
    screener = member(Role.CLINICIAN, unit=unit)
    decided = triage_decide(
        actor=screener, referral=referral, decision="signposted", reasons="Helpline.", expected_version=referral.version
    )
    with pytest.raises(ValidationError):
        triage_decide(
            actor=screener, referral=decided, decision="accepted", reasons="Again.", expected_version=decided.version
        )


def test_accepting_with_an_unidentified_suspect_opens_a_case_for_the_victim() -> None:
    unit = UnitFactory()
    referral = submitted_referral(unit=unit, subjects=(VICTIM, UNIDENTIFIED))
    screener = member(Role.UNIT_MANAGER, unit=unit)
    decided = triage_decide(
        actor=screener,
        referral=referral,
        decision="accepted",
        reasons="Online stalking, high fear.",
        expected_version=referral.version,
    )
    roles = list(CaseParticipant.unscoped.filter(case_id=decided.case_id).values_list("role", flat=True))
    assert roles == [ParticipantRole.VICTIM]
    audit = AuditEvent.objects.get(object_id=str(decided.case_id))
    assert audit.action == "create"
    assert audit.case_id == decided.case_id


def test_case_references_count_up_per_unit_and_year() -> None:
    unit = UnitFactory(code="abc")
    screener = member(Role.UNIT_MANAGER, unit=unit)
    refs = []
    for _ in range(2):
        referral = submitted_referral(unit=unit, subjects=(VICTIM, UNIDENTIFIED))
        decided = triage_decide(
            actor=screener, referral=referral, decision="accepted", reasons="Accept.", expected_version=referral.version
        )
        refs.append(Case.unscoped.get(pk=decided.case_id).reference)
    year = timezone.localdate().year
    assert refs == [f"ABC-{year}-0001", f"ABC-{year}-0002"]


def test_candidates_need_the_triage_capability() -> None:
    unit = UnitFactory()
    referrer = referrer_in(unit)
    referral = submitted_referral(unit=unit, referrer=referrer)
    subject = ReferralSubject.unscoped.get(referral=referral, role=SubjectRole.SUSPECT)
    with pytest.raises(PermissionDenied):
        candidates_for_subject(user=referrer, subject=subject)


def test_person_create_is_the_identity_parts_service() -> None:
    # Guards the interface this part codes against.
    person = person_create(
        actor=member(Role.UNIT_MANAGER), unit=UnitFactory(), details=PersonDetails(given_name="A", family_name="B")
    )
    assert person.pk is not None


def test_accepting_writes_the_decision_people_links_and_case_in_order() -> None:
    unit = UnitFactory()
    referral = submitted_referral(unit=unit)
    screener = member(Role.UNIT_MANAGER, unit=unit)
    first_seq = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    decided = triage_decide(
        actor=screener, referral=referral, decision="accepted", reasons="Accept.", expected_version=referral.version
    )
    events = list(AuditEvent.objects.filter(seq__gt=first_seq).order_by("seq"))
    assert {e.actor_id for e in events} == {screener.pk}
    assert [(e.action, e.object_type, e.fields) for e in events] == [
        (
            "change",
            "referrals.referral",
            ["advice", "decided_at", "decided_by", "decision", "decision_reasons", "status"],
        ),
        ("create", "people.person", ["date_of_birth", "family_name", "given_name"]),
        ("change", "referrals.referralsubject", ["person"]),
        ("create", "people.person", ["date_of_birth", "family_name", "given_name", "phone"]),
        ("change", "referrals.referralsubject", ["person"]),
        ("create", "cases.case", ["participants", "reference", "summary", "team"]),
        # The unit's rules give the new case its first review and its first contact with the victim.
        ("create", "work.task", ["description", "due_date", "owner", "title"]),
        ("create", "work.task", ["description", "due_date", "owner", "title"]),
    ]
    assert events[-1].case_id == decided.case_id


def test_withdrawing() -> None:
    unit = UnitFactory()
    referrer = referrer_in(unit)
    referral = submitted_referral(unit=unit, referrer=referrer)
    with pytest.raises(PermissionDenied):
        referral_withdraw(
            actor=referrer_in(unit), referral=referral, reason="Not mine.", expected_version=referral.version
        )
    with pytest.raises(ValidationError):
        referral_withdraw(actor=referrer, referral=referral, reason=" ", expected_version=referral.version)
    referral_withdraw(
        actor=referrer, referral=referral, reason="Victim moved out of area.", expected_version=referral.version
    )
    stored = _fresh(referral)
    assert stored.status == ReferralStatus.WITHDRAWN
    assert (
        AuditEvent.objects.filter(object_id=str(referral.pk)).order_by("seq").last().justification
        == "Victim moved out of area."
    )
    with pytest.raises(ValidationError):
        triage_decide(
            actor=member(Role.CLINICIAN, unit=unit),
            referral=stored,
            decision="accepted",
            reasons="Too late.",
            expected_version=stored.version,
        )
