"""The front door of the unit in a real browser: a partner referrer makes a referral page by page,
a screener matches its suspect to a perpetrator the unit already knows, screens it and accepts it,
and the referrer sees the decision (never the unit's reasons)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from django.urls import reverse
from django.utils import dateformat, timezone

from masip.accounts.models import AgencyKind, Role
from masip.cases.models import Case
from masip.referrals.models import Referral, ReferralStatus, SubjectRole, TriageDecision
from masip.referrals.questions import CURRENT_QUESTION_SET
from masip.referrals.services import SubjectEntry, triage_decide
from tests.factories import AgencyFactory, UnitFactory, member
from tests.referrals.helpers import SUSPECT, referrer_in, submitted_referral

from .signin import screenshot, sign_in, sign_out

pytestmark = pytest.mark.browser

EARLIER_REASONS = "Repeat perpetrator; victim very frightened."
ACCEPT_REASONS = "Same man as in the earlier accepted referral; a second victim: serial pattern."
PARTNER_REASONS = "Low risk: a single episode, suspect unidentified."
PARTNER_ADVICE = "Safety planning with the victim; tell us at once if the messages start again."


def _fill_date(group: Any, day: date) -> None:
    group.get_by_label("Day").fill(str(day.day))
    group.get_by_label("Month").fill(str(day.month))
    group.get_by_label("Year").fill(str(day.year))


def _nav(page: Any, name: str) -> None:
    page.get_by_role("navigation", name="Menu").get_by_role("link", name=name).click()


def _continue(page: Any, path_end: str) -> None:
    """Continue, and wait for the page whose path ends with `path_end`."""
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(re.escape(path_end) + r"(\?.*)?$"))


def _set_up() -> dict[str, Any]:
    """A unit whose screener accepted an earlier referral naming Robert Mason (now a person the
    unit knows), and a partner referrer one of whose referrals the unit left with their agency."""
    unit = UnitFactory(name="Thames Valley Stalking Unit")
    screener = member(Role.POLICE_INVESTIGATOR, unit=unit, full_name="Sam Okafor")
    referrer = member(
        Role.PARTNER_REFERRER,
        unit=unit,
        full_name="Priya Shah",
        agency=AgencyFactory(name="Anytown Advocacy Service", kind=AgencyKind.ADVOCACY),
    )
    earlier_victim = SubjectEntry(
        role=SubjectRole.VICTIM, given_name="Dana", family_name="Price", date_of_birth=date(1988, 9, 30)
    )
    earlier = submitted_referral(unit=unit, referrer=referrer_in(unit), subjects=(earlier_victim, SUSPECT))
    triage_decide(
        actor=screener,
        referral=earlier,
        decision=TriageDecision.ACCEPTED,
        reasons=EARLIER_REASONS,
        expected_version=earlier.version,
    )
    other_victim = SubjectEntry(role=SubjectRole.VICTIM, given_name="Erin", family_name="Lowe")
    partner = submitted_referral(
        unit=unit,
        referrer=referrer,
        subjects=(other_victim, SubjectEntry(role=SubjectRole.SUSPECT, unidentified=True)),
    )
    triage_decide(
        actor=screener,
        referral=partner,
        decision=TriageDecision.PARTNER_MANAGED,
        reasons=PARTNER_REASONS,
        advice=PARTNER_ADVICE,
        expected_version=partner.version,
    )
    return {"unit": unit, "screener": screener, "referrer": referrer, "earlier": earlier, "partner": partner}


def _make_referral(page: Any, server: Any) -> None:
    """As the partner referrer: every question page, a break half-way, check answers and send."""
    today = timezone.localdate()
    _nav(page, "Your referrals")
    page.wait_for_url(server.url + reverse("referrals:mine"))
    page.get_by_role("link", name="Make a referral").click()
    page.get_by_text("Your referral will go to Thames Valley Stalking Unit").wait_for()
    page.get_by_role("button", name="Start now").click()

    page.wait_for_url(re.compile(r"/about/$"))
    page.get_by_label("Urgent", exact=True).check()
    page.get_by_label("Crime reference").fill("43/11873/26")
    page.get_by_label("Your own reference").fill("AAS-2026-117")
    screenshot(page, "referral-1-about")
    _continue(page, "/victims/")

    page.get_by_role("link", name="Add a victim").click()
    page.wait_for_url(re.compile(r"/victims/add/$"))
    page.get_by_label("First name").fill("Carol")
    page.get_by_label("Last name").fill("Nash")
    _fill_date(page.get_by_role("group", name="Date of birth"), date(1992, 1, 5))
    page.get_by_label("Female", exact=True).check()
    page.get_by_label("Phone number").fill("07700 900456")
    screenshot(page, "referral-2-victim")
    _continue(page, "/victims/")
    page.get_by_text("Born 5 January 1992").wait_for()
    page.get_by_role("link", name="Continue").click()

    page.wait_for_url(re.compile(r"/suspects/$"))
    page.get_by_label("Yes, I can give their details").check()
    _continue(page, "/suspects/add/")
    page.get_by_label("First name").fill("Bob")
    page.get_by_label("Last name").fill("Mason")
    _fill_date(page.get_by_role("group", name="Date of birth"), SUSPECT.date_of_birth)
    page.get_by_label("Male", exact=True).check()

    # Called away: the draft is kept, and continued from "Your referrals".
    page.get_by_role("button", name="Save and come back later").click()
    page.wait_for_url(server.url + reverse("referrals:mine"))
    page.get_by_text("has been saved. Continue it from this page when you are ready.").wait_for()
    drafts = page.get_by_role("table", name="Drafts not yet sent")
    assert "AAS-2026-117" in drafts.inner_text()
    screenshot(page, "referral-3-saved-for-later")
    drafts.get_by_role("link", name=re.compile(r"^Continue draft")).click()

    page.wait_for_url(re.compile(r"/check/$"))
    page.get_by_role("heading", name="Check your answers before sending your referral").wait_for()
    main = page.locator("main")
    for kept in ("Carol Nash", "5 January 1992", "07700 900456", "Bob Mason", "3 February 1985", "43/11873/26"):
        assert kept in main.inner_text(), kept

    # The rest of the questions, each reached from its "Change" link and back to the check page.
    page.get_by_role("link", name="Change relationship").click()
    page.get_by_label("Ex-intimate partner").check()
    _continue(page, "/check/")
    page.get_by_role("link", name="Change behaviours so far").click()
    for behaviour in ("Unwanted communication", "Following", "Turning up at home or work", "Threats"):
        page.get_by_label(behaviour, exact=True).check()
    _continue(page, "/check/")
    page.get_by_role("link", name="Change existing orders").click()
    page.get_by_label("Existing orders or bail conditions").fill(
        "Bail conditions: not to contact Carol Nash or go to her street, until the next hearing."
    )
    _continue(page, "/check/")
    page.get_by_role("link", name="Change consent to the referral").click()
    page.wait_for_url(re.compile(r"/consent/"))
    page.get_by_role("group", name="Does the victim consent to this referral?").get_by_label("Yes").check()
    sharing = "Does the victim consent to information being shared with the unit's partner agencies?"
    page.get_by_role("group", name=sharing).get_by_label("Yes", exact=True).check()
    _fill_date(page.get_by_role("group", name="Date the victim answered about this referral"), today)
    _fill_date(page.get_by_role("group", name="Date the victim answered about information sharing"), today)
    screenshot(page, "referral-4-consent")
    _continue(page, "/check/")
    page.get_by_role("link", name="Change what has happened").click()
    page.get_by_label("What has happened?").fill(
        "Since they separated in January he messages her every night, waits outside her work and "
        "last week said she would regret leaving him."
    )
    _continue(page, "/check/")

    screenshot(page, "referral-5-check-answers")
    words = main.inner_text()
    for answer in (
        "Urgent",
        "AAS-2026-117",
        "Ex-intimate partner",
        "Unwanted communication\nFollowing\nTurning up at home or work\nThreats",
        "Bail conditions",
        f"Yes, given on {dateformat.format(today, 'j F Y')}",
        "waits outside her work",
    ):
        assert answer in words, answer
    page.get_by_role("button", name="Send referral").click()

    page.wait_for_url(re.compile(r"/sent/$"))
    page.get_by_role("heading", name="Referral sent").wait_for()
    screenshot(page, "referral-6-sent")


def _screen_and_accept(page: Any, server: Any, referral: Referral, earlier: Referral) -> None:
    """As the screener: the queue, the referral, the known perpetrator, FOUR, history, decision."""
    _nav(page, "Screening queue")
    page.wait_for_url(server.url + reverse("referrals:queue"))
    row = page.locator(f'tr[data-referral="{referral.reference}"]')
    assert "Anytown Advocacy Service" in row.inner_text()
    assert "Urgent" in row.inner_text()
    screenshot(page, "screening-1-queue")
    row.get_by_role("link", name=referral.reference).click()

    page.wait_for_url(server.url + reverse("referrals:screen", kwargs={"referral_id": referral.pk}))
    page.get_by_role("button", name="Assign to me").click()
    page.get_by_text(f"Referral {referral.reference} is now with you to screen.").wait_for()
    assert "Being screened by Sam Okafor (you)." in page.locator("main").inner_text()

    suspect = page.locator(".govuk-summary-card", has=page.get_by_role("heading", name="Suspect: Bob Mason"))
    candidates = suspect.get_by_role("table", name=re.compile(r"People in this unit who may be Bob Mason"))
    proposed = candidates.get_by_role("row", name=re.compile("Robert Mason"))
    why = proposed.inner_text().lower()
    assert "born 3 february 1985" in why
    assert "same date of birth" in why
    assert "bob is a known form of robert" in why
    assert "surname matches exactly" in why
    screenshot(page, "screening-2-match")
    proposed.get_by_role("button", name=re.compile(r"^This is the same person")).click()
    page.get_by_text("Bob Mason is linked to the existing person Robert Mason.").wait_for()

    for name in ("Fixated", "Obsessive", "Unwanted", "Repeated"):
        page.get_by_role("group", name=re.compile(rf"^{name}:")).get_by_label("Yes", exact=True).check()
    yes = {"fear", "prior_history", "visits", "threats"}
    for question in CURRENT_QUESTION_SET.questions:
        answer = "Yes" if question.id in yes else "Not known"
        page.get_by_role("group", name=question.text).get_by_label(answer, exact=True).check()
    page.get_by_label("Screening notes").fill("Spoke to the officer in the case: he has a key to her flat.")
    page.get_by_role("button", name="Save screening").click()
    page.get_by_text(f"Screening of referral {referral.reference} saved.").wait_for()
    assert page.get_by_role("group", name=re.compile(r"^Repeated:")).get_by_label("Yes", exact=True).is_checked()
    screenshot(page, "screening-3-saved")

    page.get_by_role("link", name=re.compile(r"See Robert Mason's linked history")).click()
    page.wait_for_url(re.compile(r"/people/"))
    page.get_by_role("heading", name="Robert Mason", exact=True).wait_for()
    history = page.locator("main").inner_text()
    assert f"Referral {earlier.reference}" in history
    assert f"Referral {referral.reference}" in history
    assert "Possible serial stalker" in history
    assert "Dana Price" in history
    screenshot(page, "screening-4-history")
    page.get_by_role("link", name=f"Referral {referral.reference}").click()

    page.wait_for_url(server.url + reverse("referrals:screen", kwargs={"referral_id": referral.pk}))
    page.get_by_role("link", name="Record the triage decision").click()
    page.wait_for_url(server.url + reverse("referrals:decide", kwargs={"referral_id": referral.pk}))
    # Bob Mason is linked; only the victim is new to the unit.
    assert "a new person record will be created for Carol Nash, who is not yet linked" in page.inner_text("main")
    page.get_by_label("Accepted for unit risk management").check()
    page.get_by_label("Reasons for the decision").fill(ACCEPT_REASONS)
    screenshot(page, "screening-5-decision")
    page.get_by_role("button", name="Record decision").click()

    page.wait_for_url(re.compile(r"/cases/[^/]+/$"))
    case = Case.unscoped.get(referrals=referral)
    assert page.url == server.url + reverse("cases:detail", kwargs={"case_id": case.pk})
    page.get_by_text(f"Referral {referral.reference} accepted. Case {case.reference} is open.").wait_for()
    people = page.get_by_role("heading", name="People").locator("xpath=following-sibling::dl[1]").inner_text()
    assert "Robert Mason" in people  # the person the unit knew, not a new "Bob Mason"
    assert "Carol Nash" in people
    assert "waits outside her work" in page.inner_text("main")  # the case starts from the referrer's account
    screenshot(page, "screening-6-case")


def test_a_referral_made_in_the_browser_is_matched_screened_accepted_and_the_referrer_sees_it(live_server, page):
    known = _set_up()
    referrer, screener, earlier, partner = known["referrer"], known["screener"], known["earlier"], known["partner"]

    sign_in(page, live_server, referrer)
    _make_referral(page, live_server)
    referral = Referral.unscoped.exclude(pk=partner.pk).get(referred_by=referrer)
    assert referral.status == ReferralStatus.RECEIVED
    assert referral.reference in page.locator(".govuk-panel").inner_text()
    sign_out(page, live_server)

    sign_in(page, live_server, screener)
    _screen_and_accept(page, live_server, referral, earlier)
    sign_out(page, live_server)

    sign_in(page, live_server, referrer)
    _nav(page, "Your referrals")
    page.wait_for_url(live_server.url + reverse("referrals:mine"))
    sent = page.get_by_role("table", name="Sent referrals")
    accepted = sent.get_by_role("row", name=re.compile(referral.reference))
    assert "Decision made" in accepted.inner_text()
    assert "Accepted for unit risk management" in accepted.inner_text()
    advised = sent.get_by_role("row", name=re.compile(partner.reference))
    assert "Partner-managed with unit advice" in advised.inner_text()
    mine = page.locator("main").inner_text()
    for reason in (ACCEPT_REASONS, PARTNER_REASONS, EARLIER_REASONS):
        assert reason not in mine
    assert earlier.reference not in mine
    screenshot(page, "referrer-1-decisions")

    advised.get_by_role("link", name="Read the unit's advice").click()
    page.wait_for_url(re.compile(re.escape(reverse("referrals:mine_detail", kwargs={"referral_id": partner.pk}))))
    assert PARTNER_ADVICE in page.locator("#advice + .govuk-inset-text").inner_text()
    assert PARTNER_REASONS not in page.locator("main").inner_text()
    screenshot(page, "referrer-2-advice")

    _nav(page, "Your referrals")
    page.get_by_role("link", name=referral.reference).click()
    page.wait_for_url(live_server.url + reverse("referrals:mine_detail", kwargs={"referral_id": referral.pk}))
    detail = page.locator("main").inner_text()
    assert "Accepted for unit risk management" in detail
    assert ACCEPT_REASONS not in detail
    assert Case.unscoped.get(referrals=referral).reference not in detail
