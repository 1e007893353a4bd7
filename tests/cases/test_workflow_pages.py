"""The case workflow pages as users meet them: status, team, people, processes, and the
attach option at triage."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from masip.access.models import CaseRole, CaseTeamMember
from masip.accounts.models import Role
from masip.cases.models import Case, CaseParticipant, CaseStatus, CaseStatusChange, ParallelProcess
from masip.referrals.models import ReferralSubject, SubjectRole
from masip.referrals.services import triage_decide
from tests.conftest import verified_client
from tests.factories import CaseFactory, ParticipantFactory, PersonFactory, TeamMemberFactory, member
from tests.referrals.helpers import submitted_referral

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


def on_team(case: Case, role: str, case_role: str, name: str = ""):
    user = member(role, unit=case.unit, **({"full_name": name} if name else {}))
    TeamMemberFactory(case=case, user=user, role_on_case=case_role)
    return user


def status_url(case: Case) -> str:
    return reverse("cases:status", kwargs={"case_id": case.pk})


def test_two_leads_change_the_status_at_once_and_the_second_is_told_what_happened():
    case = CaseFactory(status=CaseStatus.ACTIVE)
    first = verified_client(on_team(case, Role.POLICE_INVESTIGATOR, CaseRole.LEAD_INVESTIGATOR, "Dr Xavier Ward"))
    second = verified_client(on_team(case, Role.CLINICIAN, CaseRole.LEAD_CLINICIAN, "Sam Second"))
    assert 'value="under_review"' in first.get(status_url(case)).content.decode()
    assert 'value="under_review"' in second.get(status_url(case)).content.decode()
    form = {"to": "under_review", "expected_version": case.version}
    assert first.post(status_url(case), form).status_code == 302
    late = second.post(status_url(case), form)
    assert late.status_code == 200
    change = CaseStatusChange.unscoped.get(case=case)
    at = timezone.localtime(change.created_at).strftime("%H:%M")
    assert f"Dr Xavier Ward moved this case to Under review at {at}" in text(late)
    assert CaseStatusChange.unscoped.filter(case=case).count() == 1
    # The page now offers the moves the case can make from where it is.
    assert 'value="closed"' in late.content.decode()


def test_a_forged_illegal_move_is_refused_on_the_page_with_the_allowed_moves():
    case = CaseFactory()
    client = verified_client(on_team(case, Role.POLICE_INVESTIGATOR, CaseRole.LEAD_INVESTIGATOR))
    page = client.post(
        status_url(case),
        {"to": "closed", "closure_reason": "other", "risk_at_closure": "low", "reason": "x", "expected_version": 1},
    )
    assert page.status_code == 200
    assert "cannot move to “Closed”. It can move to “Active risk management”" in text(page)
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN


def test_closing_on_the_page_without_a_reason_says_what_is_missing():
    case = CaseFactory(status=CaseStatus.UNDER_REVIEW)
    client = verified_client(on_team(case, Role.POLICE_INVESTIGATOR, CaseRole.LEAD_INVESTIGATOR))
    page = client.post(status_url(case), {"to": "closed", "expected_version": case.version})
    words = text(page)
    assert "Choose why the case is being closed." in words
    assert "Choose the risk level at closure" in words
    assert "Explain the closure" in words
    # What closing needs is not offered as optional.
    assert "(optional)" not in text(client.get(status_url(case)))


def test_a_team_member_who_does_not_lead_sees_the_history_but_cannot_move_the_status():
    case = CaseFactory()
    client = verified_client(on_team(case, Role.OUTREACH_WORKER, CaseRole.OUTREACH_WORKER))
    page = client.get(status_url(case))
    assert page.status_code == 200
    assert "Only the case's lead investigator, lead clinician or the unit manager" in text(page)
    assert 'name="to"' not in page.content.decode()
    assert client.post(status_url(case), {"to": "active", "expected_version": 1}).status_code == 403
    assert not CaseStatusChange.unscoped.filter(case=case).exists()


def test_the_case_page_shows_status_history_repeat_flag_team_people_and_processes():
    earlier = CaseFactory(status=CaseStatus.CLOSED, closed_at=timezone.now())
    case = CaseFactory(unit=earlier.unit, repeat_of=earlier)
    lead = on_team(case, Role.POLICE_INVESTIGATOR, CaseRole.LEAD_INVESTIGATOR, "Dana Lead")
    clinician = on_team(case, Role.CLINICIAN, CaseRole.CLINICIAN)
    victim = ParticipantFactory(case=case)
    ParticipantFactory(case=case, role="witness", relationship="neighbour")
    client = verified_client(lead)
    client.post(status_url(case), {"to": "active", "expected_version": 1})
    client.post(
        reverse("cases:process_add", kwargs={"case_id": case.pk}),
        {"kind": "marac", "lead_agency": "Anytown MARAC", "started_on": timezone.localdate().strftime("%d/%m/%Y")},
    )
    words = text(client.get(reverse("cases:detail", kwargs={"case_id": case.pk})))
    assert f"Repeat referral: case {earlier.reference}" in words
    assert "Open → Active risk management" in words
    assert "Dana Lead" in words
    assert "Witness" in words
    assert "(neighbour)" in words
    assert "MARAC" in words
    assert "Led by Anytown MARAC" in words
    assert victim.person.phone in words  # an investigator may see victim contact details
    seen_by_clinician = text(verified_client(clinician).get(reverse("cases:detail", kwargs={"case_id": case.pk})))
    assert victim.person.display_name in seen_by_clinician
    assert victim.person.phone not in seen_by_clinician
    assert "Contact details are restricted" in seen_by_clinician


def test_the_unit_manager_allocates_on_the_team_page_and_others_are_refused():
    case = CaseFactory()
    manager = verified_client(member(Role.UNIT_MANAGER, unit=case.unit))
    advocate = member(Role.STALKING_ADVOCATE, unit=case.unit, full_name="Ivy Advocate")
    url = reverse("cases:team", kwargs={"case_id": case.pk})
    assert "Ivy Advocate" in text(manager.get(url))
    refused = manager.post(url, {"user": advocate.pk, "role_on_case": "lead_investigator"})
    assert "cannot be the case's lead investigator" in text(refused)
    assert manager.post(url, {"user": advocate.pk, "role_on_case": "advocate"}).status_code == 302
    membership = CaseTeamMember.objects.get(case=case, user=advocate)
    assert membership.role_on_case == CaseRole.ADVOCATE
    end = reverse("cases:team_end", kwargs={"case_id": case.pk, "member_id": membership.pk})
    assert manager.post(end).status_code == 302
    membership.refresh_from_db()
    assert membership.until is not None
    lead = verified_client(on_team(case, Role.POLICE_INVESTIGATOR, CaseRole.LEAD_INVESTIGATOR))
    assert lead.get(url).status_code == 403


def test_a_person_is_found_by_name_and_added_or_recorded_new():
    case = CaseFactory()
    client = verified_client(on_team(case, Role.STALKING_ADVOCATE, CaseRole.ADVOCATE))
    sister = PersonFactory(unit=case.unit, given_name="Rosa", family_name="Hartley")
    url = reverse("cases:participant_add", kwargs={"case_id": case.pk})
    found = client.get(url, {"given_name": "Rosa", "family_name": "Hartley"})
    assert "Rosa Hartley" in text(found)
    assert sister.phone not in text(found)  # a search shows a minimal preview, never contact details
    added = client.post(url, {"action": "link", "person_id": sister.pk, "role": "family", "relationship": "sister"})
    assert added.status_code == 302
    assert CaseParticipant.unscoped.get(case=case, person=sister).role == "family"
    new = client.post(url, {"action": "create", "given_name": "Tom", "family_name": "Newman", "role": "new_partner"})
    assert new.status_code == 302
    assert CaseParticipant.unscoped.get(case=case, person__given_name="Tom").role == "new_partner"
    other_unit = PersonFactory()
    assert client.post(url, {"action": "link", "person_id": other_unit.pk, "role": "witness"}).status_code == 404


def test_ending_a_participation_on_the_page():
    case = CaseFactory()
    client = verified_client(on_team(case, Role.OUTREACH_WORKER, CaseRole.OUTREACH_WORKER))
    witness = ParticipantFactory(case=case, role="witness")
    url = reverse("cases:participant_end", kwargs={"case_id": case.pk, "participant_id": witness.pk})
    assert client.post(url, {"expected_version": witness.version}).status_code == 302
    witness.refresh_from_db()
    assert witness.ended_at is not None
    again = client.post(url, {"expected_version": witness.version}, follow=True)
    assert "already ended" in text(again)


def test_a_process_on_the_page_needs_its_particulars():
    case = CaseFactory()
    client = verified_client(on_team(case, Role.POLICE_INVESTIGATOR, CaseRole.INVESTIGATOR))
    url = reverse("cases:process_add", kwargs={"case_id": case.pk})
    today = timezone.localdate().strftime("%d/%m/%Y")
    page = client.post(url, {"kind": "mappa", "lead_agency": "Probation", "started_on": today})
    assert "Choose the MAPPA category." in text(page)
    assert not ParallelProcess.unscoped.filter(case=case).exists()
    done = client.post(
        url,
        {"kind": "mappa", "lead_agency": "Probation", "started_on": today, "mappa_category": "2", "mappa_level": "2"},
    )
    assert done.status_code == 302
    process = ParallelProcess.unscoped.get(case=case)
    end = reverse("cases:process_end", kwargs={"case_id": case.pk, "process_id": process.pk})
    assert client.post(end, {"ended_on": today, "expected_version": 1}).status_code == 302
    process.refresh_from_db()
    assert process.ended_on == timezone.localdate()


# Triage: attach to the open case, and the repeat flag ---------------------------------------


def further_referral():
    unit = CaseFactory().unit
    screener = member(Role.POLICE_INVESTIGATOR, unit=unit)
    first = submitted_referral(unit=unit)
    triage_decide(actor=screener, referral=first, decision="accepted", reasons="x", expected_version=first.version)
    first.refresh_from_db()
    victim = ReferralSubject.unscoped.get(referral=first, role=SubjectRole.VICTIM).person
    further = submitted_referral(unit=unit)
    ReferralSubject.unscoped.filter(referral=further, role=SubjectRole.VICTIM).update(person=victim)
    ReferralSubject.unscoped.filter(referral=further, role=SubjectRole.SUSPECT).update(
        person=ReferralSubject.unscoped.get(referral=first, role=SubjectRole.SUSPECT).person
    )
    further.refresh_from_db()
    return first.case, further, verified_client(screener)


def test_the_decision_page_offers_to_attach_and_attaching_needs_confirmation():
    case, further, client = further_referral()
    url = reverse("referrals:decide", kwargs={"referral_id": further.pk})
    page = text(client.get(url))
    assert f"Attach to case {case.reference}" in page
    form = {"decision": "accepted", "reasons": "Same suspect.", "expected_version": further.version}
    unconfirmed = client.post(url, {**form, "outcome": str(case.pk)})
    assert unconfirmed.status_code == 200
    assert "Confirm that this referral is about the same stalking" in text(unconfirmed)
    further.refresh_from_db()
    assert further.case is None
    before = Case.unscoped.filter(unit=case.unit).count()
    attached = client.post(url, {**form, "outcome": str(case.pk), "confirm": "on"})
    assert attached.status_code == 302
    assert attached["Location"] == reverse("referrals:screen", kwargs={"referral_id": further.pk})
    further.refresh_from_db()
    assert further.case == case
    assert Case.unscoped.filter(unit=case.unit).count() == before
    followed = text(client.get(attached["Location"]))
    assert f"Case {case.reference}" in followed


def test_choosing_a_new_case_at_triage_opens_one():
    case, further, client = further_referral()
    url = reverse("referrals:decide", kwargs={"referral_id": further.pk})
    opened = client.post(
        url,
        {
            "decision": "accepted",
            "reasons": "Different stalking.",
            "expected_version": further.version,
            "outcome": "new",
        },
    )
    assert opened.status_code == 302
    further.refresh_from_db()
    assert further.case is not None
    assert further.case != case


def test_the_decision_page_and_screening_page_flag_a_repeat():
    case, further, client = further_referral()
    Case.unscoped.filter(pk=case.pk).update(status=CaseStatus.CLOSED, closed_at=timezone.now())
    url = reverse("referrals:decide", kwargs={"referral_id": further.pk})
    page = text(client.get(url))
    assert f"Repeat referral: case {case.reference}" in page
    assert "Attach to case" not in page  # a closed case is not offered
    client.post(url, {"decision": "accepted", "reasons": "Again.", "expected_version": further.version})
    further.refresh_from_db()
    assert further.case.repeat_of == case
    screen = text(client.get(reverse("referrals:screen", kwargs={"referral_id": further.pk})))
    assert f"Repeat of case {case.reference}" in screen
