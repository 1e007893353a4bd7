"""The unit's screening pages, as screeners use them: the queue, screening, identity matching,
the triage decision and withdrawal."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from masip.accounts.models import Role, Unit, User
from masip.audit.models import AuditAction, AuditEvent
from masip.cases.models import Case
from masip.core.workdays import add_working_days, working_days_between
from masip.people.models import Person
from masip.referrals.models import (
    Referral,
    ReferralStatus,
    ReferralSubject,
    Screening,
    SubjectRole,
    TriageDecision,
    Urgency,
)
from masip.referrals.questions import CURRENT_QUESTION_SET
from masip.referrals.services import SubjectEntry, triage_decide
from tests.conftest import verified_client
from tests.factories import PersonFactory, ReferralFactory, UnitFactory, member

from .helpers import SUSPECT, UNIDENTIFIED, VICTIM, submitted_referral

pytestmark = pytest.mark.django_db


# Helpers -----------------------------------------------------------------------------------


def screener_in(unit: Unit, role: str = Role.POLICE_INVESTIGATOR) -> User:
    return member(role, unit=unit)


def page(client: Client, url: str, **params: Any) -> str:
    response = client.get(url, params)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def queue_page(client: Client, **params: Any) -> str:
    return page(client, reverse("referrals:queue"), **params)


def listed(html: str) -> set[str]:
    """The references of the referrals the queue lists."""
    return set(re.findall(r'data-referral="([^"]+)"', html))


def row(html: str, reference: str) -> str:
    match = re.search(rf'<tr class="govuk-table__row" data-referral="{re.escape(reference)}">(.*?)</tr>', html, re.S)
    assert match, f"{reference} is not listed"
    return match.group(1)


def count(html: str, name: str) -> str:
    match = re.search(rf'data-count="{name}">([^<]*)<', html)
    assert match, name
    return match.group(1).strip()


def text(html: str) -> str:
    """The page's words, tags and spacing removed, entities of quotes kept readable."""
    words = re.sub(r"<[^>]+>", " ", html).replace("&#x27;", "'").replace("&quot;", '"')
    return re.sub(r"\s+", " ", words)


def screen_url(referral: Referral) -> str:
    return reverse("referrals:screen", kwargs={"referral_id": referral.pk})


def decide_url(referral: Referral) -> str:
    return reverse("referrals:decide", kwargs={"referral_id": referral.pk})


def screening_answers(**overrides: str) -> dict[str, str]:
    data = {"fixated": "yes", "obsessive": "yes", "unwanted": "yes", "repeated": "yes"}
    data |= {f"q_{q.id}": "unknown" for q in CURRENT_QUESTION_SET.questions}
    data |= {"q_fear": "yes", "q_threats": "no", "notes": "Spoke to the officer in the case."}
    data |= overrides
    return data


def subject_of(referral: Referral, role: str = SubjectRole.SUSPECT) -> ReferralSubject:
    return ReferralSubject.unscoped.get(referral=referral, role=role)


# The queue ---------------------------------------------------------------------------------


def test_queue_lists_open_referrals_nearest_deadline_first_with_overdue_highlighted() -> None:
    unit = UnitFactory()
    client = verified_client(screener_in(unit))
    today = timezone.localdate()
    late = submitted_referral(unit=unit, urgency=Urgency.ROUTINE)
    fresh = submitted_referral(unit=unit, urgency=Urgency.URGENT)
    closed = submitted_referral(unit=unit)
    triage_decide(
        actor=screener_in(unit), referral=closed, decision="signposted", reasons="x", expected_version=closed.version
    )
    overdue_since = add_working_days(today, -4)
    Referral.unscoped.filter(pk=late.pk).update(decision_deadline=overdue_since)

    html = queue_page(client)

    assert listed(html) == {late.reference, fresh.reference}
    assert html.index(late.reference) < html.index(fresh.reference)
    late_row = row(html, late.reference)
    assert '<strong class="govuk-tag govuk-tag--red">Overdue</strong>' in late_row
    assert f"{working_days_between(overdue_since, today)} working days overdue" in text(late_row)
    fresh_row = row(html, fresh.reference)
    assert "Overdue" not in fresh_row
    # Urgent: two working days from receipt, counted from the day after.
    assert "2 working days left" in text(fresh_row)


def test_queue_filters_by_status_urgency_screener_age_and_overdue() -> None:
    unit = UnitFactory()
    me = screener_in(unit)
    colleague = screener_in(unit, Role.CLINICIAN)
    client = verified_client(me)
    today = timezone.localdate()
    urgent = submitted_referral(unit=unit, urgency=Urgency.URGENT)
    routine = submitted_referral(unit=unit, urgency=Urgency.ROUTINE)
    old = submitted_referral(unit=unit, urgency=Urgency.IMMEDIATE)
    theirs = submitted_referral(unit=unit, urgency=Urgency.ROUTINE)
    Referral.unscoped.filter(pk=routine.pk).update(screener=me, status=ReferralStatus.SCREENING)
    Referral.unscoped.filter(pk=theirs.pk).update(screener=colleague, status=ReferralStatus.SCREENING)
    Referral.unscoped.filter(pk=old.pk).update(
        received_at=timezone.now() - timedelta(days=20), decision_deadline=today - timedelta(days=15)
    )

    assert listed(queue_page(client, urgency="urgent")) == {urgent.reference}
    assert listed(queue_page(client, status="screening")) == {routine.reference, theirs.reference}
    assert listed(queue_page(client, status="received")) == {urgent.reference, old.reference}
    assert listed(queue_page(client, screener="unassigned")) == {urgent.reference, old.reference}
    assert listed(queue_page(client, screener="me")) == {routine.reference}
    assert listed(queue_page(client, screener=str(colleague.pk))) == {theirs.reference}
    assert listed(queue_page(client, overdue="on")) == {old.reference}
    assert listed(queue_page(client, received_within="7")) == {urgent.reference, routine.reference, theirs.reference}
    assert listed(queue_page(client, older_than="7")) == {old.reference}
    window = {"received_from": (today - timedelta(days=25)).isoformat(), "received_to": (today - timedelta(days=10))}
    assert listed(queue_page(client, **window)) == {old.reference}
    as_typed = {"received_from": (today - timedelta(days=2)).strftime("%d/%m/%Y")}
    assert listed(queue_page(client, **as_typed)) == {urgent.reference, routine.reference, theirs.reference}


def test_bad_filter_values_get_a_message_and_the_rest_still_apply() -> None:
    unit = UnitFactory()
    client = verified_client(screener_in(unit))
    urgent = submitted_referral(unit=unit, urgency=Urgency.URGENT)
    submitted_referral(unit=unit, urgency=Urgency.ROUTINE)

    html = queue_page(
        client,
        urgency="urgent",
        status="nonsense",
        screener="12345678",
        received_within="a week",
        received_from="31/02/2026",
        older_than="-3",
        period_to="yesterday",
        page="zzz",
    )

    assert "There is a problem" in html
    for message in (
        "Choose a status from the list.",
        "Choose a screener from the list.",
        "Enter a number of days, like 7.",
        "Enter a real date as day/month/year.",
        "Enter a number of days of 0 or more.",
    ):
        assert message in html
    assert listed(html) == {urgent.reference}

    reversed_range = queue_page(client, received_from="2026-03-10", received_to="2026-03-01")
    assert "must be on or after the other date" in reversed_range


def test_counts_for_a_chosen_period() -> None:
    unit = UnitFactory()
    screener = screener_in(unit)
    client = verified_client(screener)
    today = timezone.localdate()
    decisions = [
        (TriageDecision.ACCEPTED, ""),
        (TriageDecision.PARTNER_MANAGED, "Apply for a restraining order on conviction."),
        (TriageDecision.PARTNER_MANAGED, "Refer the victim to the local advocacy service."),
        (TriageDecision.SIGNPOSTED, ""),
    ]
    for decision, advice in decisions:
        referral = submitted_referral(unit=unit, subjects=(VICTIM, UNIDENTIFIED))
        triage_decide(
            actor=screener,
            referral=referral,
            decision=decision,
            reasons="Screened.",
            advice=advice,
            expected_version=referral.version,
        )
    submitted_referral(unit=unit)  # received, not yet decided
    long_ago = submitted_referral(unit=unit)
    Referral.unscoped.filter(pk=long_ago.pk).update(received_at=timezone.now() - timedelta(days=90))
    submitted_referral(unit=UnitFactory())  # another unit's

    period = {"period_from": (today - timedelta(days=30)).isoformat(), "period_to": today.isoformat()}
    html = queue_page(client, **period)

    assert count(html, "received") == "5"
    assert count(html, "accepted") == "1"
    assert count(html, "partner_managed") == "2"
    assert count(html, "signposted") == "1"
    assert count(html, "no_further_action") == "0"
    assert count(html, "median") == "0 working days"

    earlier = queue_page(client, period_from=(today - timedelta(days=120)).isoformat(), period_to=today.isoformat())
    assert count(earlier, "received") == "6"
    nothing = queue_page(client, period_from="2001-01-01", period_to="2001-01-31")
    assert count(nothing, "received") == "0"
    assert count(nothing, "median") == "No decisions in this period"


def test_queue_is_paginated_and_each_page_read_is_audited() -> None:
    unit = UnitFactory()
    screener = screener_in(unit)
    client = verified_client(screener)
    referrals = [
        ReferralFactory(unit=unit, status=ReferralStatus.RECEIVED, decision_deadline=date(2030, 1, 1) + timedelta(i))
        for i in range(27)
    ]

    first = queue_page(client, urgency="routine")
    second = queue_page(client, urgency="routine", page="2")

    assert len(listed(first)) == 25
    assert listed(second) == {r.reference for r in referrals[25:]}
    assert "page 1 of 2" in first
    assert "?urgency=routine&amp;page=2" in first
    reads = AuditEvent.objects.filter(actor=screener, action=AuditAction.VIEW, object_type="referrals.referral")
    assert [event.detail["listed"] for event in reads.order_by("seq")] == [
        [str(r.pk) for r in referrals[:25]],
        [str(r.pk) for r in referrals[25:]],
    ]


@pytest.mark.parametrize(
    "role", [Role.OUTREACH_WORKER, Role.STALKING_ADVOCATE, Role.SUPPORT_OFFICER, Role.PARTNER_REFERRER, Role.ANALYST]
)
def test_roles_without_the_triage_capability_are_refused(role: str) -> None:
    unit = UnitFactory()
    referral = submitted_referral(unit=unit)
    client = verified_client(member(role, unit=unit))
    subject = subject_of(referral)
    urls = [
        reverse("referrals:queue"),
        screen_url(referral),
        decide_url(referral),
        reverse("referrals:withdraw", kwargs={"referral_id": referral.pk}),
    ]
    for url in urls:
        assert client.get(url).status_code == 403, url
    for name in ("subject_link", "subject_create_person"):
        url = reverse(f"referrals:{name}", kwargs={"referral_id": referral.pk, "subject_id": subject.pk})
        assert client.post(url, {"person_id": ""}).status_code == 403
    assert client.post(decide_url(referral), {"decision": "signposted", "reasons": "x"}).status_code == 403
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.RECEIVED
    assert subject_of(referral).person_id is None


def test_another_units_screener_gets_not_found() -> None:
    referral = submitted_referral(unit=UnitFactory())
    client = verified_client(screener_in(UnitFactory()))
    assert client.get(screen_url(referral)).status_code == 404
    assert client.get(decide_url(referral)).status_code == 404
    assert client.get(reverse("referrals:screen", kwargs={"referral_id": "not-an-id"})).status_code == 404


# The screening page ------------------------------------------------------------------------


def test_screening_page_shows_the_referral_and_victim_contact_only_to_roles_allowed() -> None:
    unit = UnitFactory()
    referral = submitted_referral(unit=unit)

    officer, psychologist = screener_in(unit), screener_in(unit, Role.CLINICIAN)
    police = page(verified_client(officer), screen_url(referral))
    clinician = page(verified_client(psychologist), screen_url(referral))

    for html in (police, clinician):
        words = text(html)
        assert referral.reference in words
        assert "Messages every night since the separation; waits outside her work." in words
        assert "CR/1234/26" in words
        assert "Turning up at home or work" in words
        assert "Victim: Alice Hart" in words
        assert "Suspect: Robert Mason" in words
        assert "masip's own illustrative screening questions" in words
        assert CURRENT_QUESTION_SET.questions[0].text in words
    assert "07700 900111" in police
    assert "07700 900111" not in clinician
    assert "Victims' contact details are restricted to these roles" in text(clinician)
    contact_reads = AuditEvent.objects.filter(object_type="referrals.referralsubject", action=AuditAction.VIEW)
    assert [(e.actor, e.fields) for e in contact_reads] == [(officer, ["phone"])]
    assert AuditEvent.objects.filter(actor=psychologist, object_id=str(referral.pk), action=AuditAction.VIEW).exists()


def test_screener_assigns_themselves_or_a_colleague_who_may_screen() -> None:
    unit = UnitFactory()
    me = screener_in(unit)
    colleague = screener_in(unit, Role.CLINICIAN)
    advocate = member(Role.STALKING_ADVOCATE, unit=unit)
    referral = submitted_referral(unit=unit)
    client = verified_client(me)
    assign = reverse("referrals:assign", kwargs={"referral_id": referral.pk})

    assert "Assign to me" in page(client, screen_url(referral))
    response = client.post(assign, {"screener": me.pk, "expected_version": referral.version}, follow=True)
    referral.refresh_from_db()
    assert (referral.screener, referral.status) == (me, ReferralStatus.SCREENING)
    assert "is now with you to screen" in response.content.decode()

    refused = client.post(assign, {"screener": advocate.pk, "expected_version": referral.version}, follow=True)
    assert "Choose a screener from the list" in refused.content.decode()
    stale = client.post(assign, {"screener": colleague.pk, "expected_version": referral.version - 1}, follow=True)
    assert "changed by someone else" in stale.content.decode()
    referral.refresh_from_db()
    assert referral.screener == me

    client.post(assign, {"screener": colleague.pk, "expected_version": referral.version})
    referral.refresh_from_db()
    assert referral.screener == colleague


def test_screening_is_saved_and_revised() -> None:
    unit = UnitFactory()
    screener = screener_in(unit)
    referral = submitted_referral(unit=unit)
    client = verified_client(screener)

    response = client.post(screen_url(referral), screening_answers())

    assert response.status_code == 302
    screening = Screening.unscoped.get(referral=referral)
    assert (screening.fixated, screening.repeated, screening.harassment_not_stalking) == ("yes", "yes", False)
    assert screening.answers["fear"] == "yes"
    assert screening.answers["threats"] == "no"
    assert (screening.question_set_id, screening.question_set_version) == (
        CURRENT_QUESTION_SET.id,
        CURRENT_QUESTION_SET.version,
    )
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.SCREENING

    html = page(client, screen_url(referral))
    assert f"Screening of referral {referral.reference} saved." in html
    assert re.search(r'name="fixated" value="yes" id="id_fixated_0"[^>]* checked', html), "answers not shown"
    revised = client.post(
        screen_url(referral), screening_answers(repeated="no", screening_version=str(screening.version))
    )
    assert revised.status_code == 302
    screening.refresh_from_db()
    assert screening.repeated == "no"

    stale = client.post(screen_url(referral), screening_answers(repeated="yes", screening_version="1"))
    assert stale.status_code == 200
    assert "changed by someone else after you opened it" in stale.content.decode()
    screening.refresh_from_db()
    assert screening.repeated == "no"


def test_harassment_rather_than_stalking_needs_its_reason() -> None:
    unit = UnitFactory()
    referral = submitted_referral(unit=unit)
    client = verified_client(screener_in(unit))

    response = client.post(screen_url(referral), screening_answers(harassment_not_stalking="on", repeated="no"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html
    assert "Explain why the conduct is harassment rather than stalking." in html
    # The reason's conditional reveal stays open while it has an error.
    assert 'class="govuk-checkboxes__conditional" id="conditional-harassment-reason"' in html
    assert not Screening.unscoped.filter(referral=referral).exists()

    missing = client.post(screen_url(referral), {"fixated": "maybe"})
    assert "Answer whether the conduct is fixated: yes, no or not known." in missing.content.decode()
    assert "Answer whether the conduct is repeated: yes, no or not known." in missing.content.decode()
    assert not Screening.unscoped.filter(referral=referral).exists()

    client.post(
        screen_url(referral),
        screening_answers(harassment_not_stalking="on", harassment_reason="Two messages after one argument."),
    )
    screening = Screening.unscoped.get(referral=referral)
    assert (screening.harassment_not_stalking, screening.harassment_reason) == (
        True,
        "Two messages after one argument.",
    )


# Identity matching -------------------------------------------------------------------------


def test_suspect_known_from_an_earlier_referral_is_proposed_with_reasons_and_linked() -> None:
    unit = UnitFactory()
    screener = screener_in(unit)
    client = verified_client(screener)
    earlier = submitted_referral(unit=unit)
    triage_decide(
        actor=screener, referral=earlier, decision="accepted", reasons="High risk.", expected_version=earlier.version
    )
    known = subject_of(earlier).person
    assert known is not None
    bob = SubjectEntry(
        role=SubjectRole.SUSPECT, given_name="Bob", family_name="Mason", date_of_birth=SUSPECT.date_of_birth
    )
    victim = SubjectEntry(
        role=SubjectRole.VICTIM, given_name="Carol", family_name="Nash", date_of_birth=date(1992, 1, 5)
    )
    referral = submitted_referral(unit=unit, subjects=(victim, bob))
    subject = subject_of(referral)

    html = page(client, screen_url(referral))

    table = re.search(rf'data-candidates="{subject.pk}".*?</table>', html, re.S)
    assert table, "no candidates shown for the suspect"
    words = text(table.group(0)).lower()
    assert "robert mason" in words
    assert "same date of birth" in words
    assert "surname matches exactly" in words
    assert "bob is a known form of robert" in words
    assert "this is the same person" in words
    assert "None of these: create a new person" in html

    link = reverse("referrals:subject_link", kwargs={"referral_id": referral.pk, "subject_id": subject.pk})
    response = client.post(link, {"person_id": known.pk}, follow=True)

    subject.refresh_from_db()
    assert subject.person_id == known.pk
    after = response.content.decode()
    assert "is linked to the existing person Robert Mason" in after
    assert reverse("people:history", kwargs={"person_id": known.pk}) in after
    changes = AuditEvent.objects.filter(object_type="referrals.referralsubject", action=AuditAction.CHANGE)
    decision = changes.order_by("seq").last()
    assert decision is not None
    assert decision.person_id == known.pk
    assert decision.detail["decision"] == "linked to existing person"


def test_a_person_of_another_unit_cannot_be_linked() -> None:
    unit = UnitFactory()
    referral = submitted_referral(unit=unit)
    subject = subject_of(referral)
    stranger = PersonFactory(unit=UnitFactory(), given_name="Robert", family_name="Mason")
    client = verified_client(screener_in(unit))
    link = reverse("referrals:subject_link", kwargs={"referral_id": referral.pk, "subject_id": subject.pk})

    assert client.post(link, {"person_id": stranger.pk}).status_code == 404
    assert client.post(link, {"person_id": "garbage"}).status_code == 404
    chosen_nobody = client.post(link, {}, follow=True)
    assert "Choose which person Robert Mason is, or create a new person." in chosen_nobody.content.decode()
    subject.refresh_from_db()
    assert subject.person_id is None


def test_none_of_these_creates_a_new_person_in_the_unit() -> None:
    unit = UnitFactory()
    referral = submitted_referral(unit=unit)
    subject = subject_of(referral)
    client = verified_client(screener_in(unit))
    create = reverse("referrals:subject_create_person", kwargs={"referral_id": referral.pk, "subject_id": subject.pk})

    response = client.post(create, follow=True)

    subject.refresh_from_db()
    person = Person.unscoped.get(pk=subject.person_id)
    assert (person.unit_id, person.given_name, person.family_name, person.date_of_birth) == (
        unit.pk,
        "Robert",
        "Mason",
        SUSPECT.date_of_birth,
    )
    assert "A new person record was created for Robert Mason" in response.content.decode()
    again = client.post(create, follow=True)
    assert "already linked" in again.content.decode()
    assert Person.unscoped.filter(unit=unit).count() == 1


def test_matching_by_name_alone_says_it_is_less_certain() -> None:
    unit = UnitFactory()
    PersonFactory(unit=unit, given_name="Robert", family_name="Mason", date_of_birth=None)
    nameonly = SubjectEntry(role=SubjectRole.SUSPECT, given_name="Robert", family_name="Mason")
    referral = submitted_referral(unit=unit, subjects=(VICTIM, nameonly))
    with_dob = submitted_referral(unit=unit)

    client = verified_client(screener_in(unit))
    html = text(page(client, screen_url(referral)))
    assert "Matches by name alone are less certain" in html
    assert "Robert Mason" in html
    # Alice Hart has a date of birth: only the suspect's proposals carry the warning.
    assert html.count("Matches by name alone are less certain") == 1
    assert "Matches by name alone are less certain" not in text(page(client, screen_url(with_dob)))


def test_another_units_record_is_a_pointer_without_details() -> None:
    unit = UnitFactory()
    other = UnitFactory(name="Northshire Stalking Unit")
    manager = member(Role.UNIT_MANAGER, unit=other, email="manager@northshire.example")
    elsewhere = PersonFactory(
        unit=other,
        given_name="Robert",
        family_name="Mason",
        date_of_birth=SUSPECT.date_of_birth,
        address="99 Hidden Lane, Secretville",
        phone="07700 900999",
    )
    referral = submitted_referral(unit=unit)
    screener = screener_in(unit)

    html = page(verified_client(screener), screen_url(referral))

    assert "Known to another unit: Northshire Stalking Unit. Contact its manager" in text(html)
    assert manager.email in html
    for detail in (str(elsewhere.pk), "99 Hidden Lane", "07700 900999"):
        assert detail not in html
    subject = subject_of(referral)
    assert f'data-candidates="{subject.pk}"' not in html
    checks = AuditEvent.objects.filter(actor=screener, detail__checked="other units").order_by("seq")
    assert [event.detail["pointer_units"] for event in checks] == [[], [str(other.pk)]]  # victim, suspect


def test_unidentified_suspect_offers_nothing_to_match() -> None:
    unit = UnitFactory()
    referral = submitted_referral(unit=unit, subjects=(VICTIM, UNIDENTIFIED))
    html = text(page(verified_client(screener_in(unit)), screen_url(referral)))
    assert "Suspect: Not identified" in html
    assert "The referrer does not know who the suspect is." in html
    assert html.count("Is this someone the unit already knows?") == 1  # the victim's only


# Triage decision and withdrawal ------------------------------------------------------------


def test_accepting_opens_a_case_and_goes_to_it() -> None:
    unit = UnitFactory()
    screener = screener_in(unit)
    referral = submitted_referral(unit=unit)
    client = verified_client(screener)
    form = page(client, decide_url(referral))
    assert 'data-aria-controls="conditional-advice"' in form
    assert "a new person record will be created for Alice Hart, Robert Mason, who are not yet linked" in text(form)

    response = client.post(
        decide_url(referral),
        {"decision": "accepted", "reasons": "Fixated ex-partner; escalating.", "expected_version": referral.version},
    )

    referral.refresh_from_db()
    assert (referral.status, referral.decision, referral.decided_by) == (
        ReferralStatus.DECIDED,
        TriageDecision.ACCEPTED,
        screener,
    )
    case = Case.unscoped.get(referrals=referral)
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:detail", kwargs={"case_id": case.pk})
    assert client.get(response["Location"]).status_code == 200
    closed = client.get(decide_url(referral), follow=True)
    assert "can no longer be decided" in closed.content.decode()


def test_partner_managed_needs_advice_which_the_referrer_reads() -> None:
    unit = UnitFactory()
    referral = submitted_referral(unit=unit)
    client = verified_client(screener_in(unit))
    base = {"decision": "partner_managed", "reasons": "Low risk.", "expected_version": referral.version}

    refused = client.post(decide_url(referral), base | {"advice": "  "})

    assert refused.status_code == 200
    html = refused.content.decode()
    assert "Write the advice the unit gives the referrer: they will read it." in html
    # The advice stays revealed under the chosen option while it has an error.
    assert 'class="govuk-radios__conditional" id="conditional-advice"' in html
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.RECEIVED

    advice = "Safety planning with the victim; apply for a non-molestation order."
    done = client.post(decide_url(referral), base | {"advice": advice}, follow=True)
    referral.refresh_from_db()
    assert (referral.decision, referral.advice) == (TriageDecision.PARTNER_MANAGED, advice)
    assert "Decision recorded" in done.content.decode()
    assert not Case.unscoped.filter(referrals=referral).exists()


def test_decision_needs_a_decision_and_reasons() -> None:
    unit = UnitFactory()
    referral = submitted_referral(unit=unit)
    client = verified_client(screener_in(unit))
    response = client.post(decide_url(referral), {"decision": "maybe", "expected_version": referral.version})
    html = response.content.decode()
    assert "Choose a decision: accepted, partner-managed, signposted or no further action." in html
    assert "Give the reasons for the decision." in html
    tampered = client.post(decide_url(referral), {"decision": "signposted", "reasons": "x", "expected_version": "x"})
    assert "This form is out of date" in tampered.content.decode()
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.RECEIVED


def test_second_screener_deciding_at_once_is_told_and_writes_nothing() -> None:
    unit = UnitFactory()
    first, second = screener_in(unit), screener_in(unit, Role.CLINICIAN)
    referral = submitted_referral(unit=unit, subjects=(VICTIM, UNIDENTIFIED))
    version = referral.version
    first_client, second_client = verified_client(first), verified_client(second)
    page(first_client, decide_url(referral))
    page(second_client, decide_url(referral))

    first_client.post(
        decide_url(referral),
        {"decision": "signposted", "reasons": "Signpost to victim services.", "expected_version": version},
    )
    late = second_client.post(
        decide_url(referral), {"decision": "accepted", "reasons": "Take it on.", "expected_version": version}
    )

    assert late.status_code == 200
    assert "Someone else changed or decided this referral after you opened it" in late.content.decode()
    referral.refresh_from_db()
    assert (referral.decision, referral.decided_by, referral.decision_reasons) == (
        TriageDecision.SIGNPOSTED,
        first,
        "Signpost to victim services.",
    )
    assert not Case.unscoped.filter(unit=unit).exists()
    assert not Person.unscoped.filter(unit=unit).exists()


def test_screener_withdraws_with_a_reason() -> None:
    unit = UnitFactory()
    referral = submitted_referral(unit=unit)
    client = verified_client(screener_in(unit))
    url = reverse("referrals:withdraw", kwargs={"referral_id": referral.pk})

    missing = client.post(url, {"reason": " ", "expected_version": referral.version})
    assert "Say why the referral is being withdrawn." in missing.content.decode()
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.RECEIVED

    done = client.post(url, {"reason": "Sent to the wrong unit.", "expected_version": referral.version})
    assert done.status_code == 302
    assert done["Location"] == reverse("referrals:queue")
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.WITHDRAWN
    event = AuditEvent.objects.filter(object_id=str(referral.pk), detail__event="withdrawn").get()
    assert event.justification == "Sent to the wrong unit."
    assert referral.reference not in listed(queue_page(client))


# Bad input ---------------------------------------------------------------------------------


def test_hand_made_values_get_messages_not_errors() -> None:
    unit = UnitFactory()
    referral = submitted_referral(unit=unit)
    client = verified_client(screener_in(unit))
    huge = "9" * 30

    far = queue_page(client, received_to="31/12/9999", period_to="9999-12-31", received_within="99999999999")
    assert "Enter a date between 1/1/1900 and 31/12/2099." in far
    assert "Enter a number of days of 3650 or fewer." in far

    decided = client.post(decide_url(referral), {"decision": "signposted", "reasons": "x", "expected_version": huge})
    assert "This form is out of date" in decided.content.decode()
    saved = client.post(screen_url(referral), screening_answers(screening_version=huge))
    assert "This form is out of date" in saved.content.decode()
    assign = reverse("referrals:assign", kwargs={"referral_id": referral.pk})
    assigned = client.post(assign, {"screener": "x" * 5000, "expected_version": huge}, follow=True)
    assert "Choose a screener from the list" in assigned.content.decode()
    referral.refresh_from_db()
    assert (referral.status, referral.screener) == (ReferralStatus.RECEIVED, None)
    assert not Screening.unscoped.filter(referral=referral).exists()


def test_screening_a_referral_decided_meanwhile_says_so() -> None:
    unit = UnitFactory()
    referral = submitted_referral(unit=unit, subjects=(VICTIM, UNIDENTIFIED))
    client = verified_client(screener_in(unit))
    elsewhere = Referral.unscoped.get(pk=referral.pk)  # decided in another window
    triage_decide(
        actor=screener_in(unit),
        referral=elsewhere,
        decision="signposted",
        reasons="x",
        expected_version=referral.version,
    )
    response = client.post(screen_url(referral), screening_answers(), follow=True)
    assert "can no longer be changed at triage" in response.content.decode()
    assert not Screening.unscoped.filter(referral=referral).exists()


def test_queue_reads_in_the_same_number_of_queries_however_long() -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    unit = UnitFactory()
    screener = screener_in(unit, Role.CLINICIAN)
    client = verified_client(screener)

    def queries_for_queue() -> int:
        queue_page(client)  # the session's last-seen time is written at most once a minute: not counted
        with CaptureQueriesContext(connection) as captured:
            queue_page(client)
        return len(captured)

    for _ in range(2):
        ReferralFactory(unit=unit, status=ReferralStatus.RECEIVED, screener=screener)
    few = queries_for_queue()
    for _ in range(10):
        ReferralFactory(unit=unit, status=ReferralStatus.RECEIVED, screener=screener)
    assert queries_for_queue() == few
