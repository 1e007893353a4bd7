"""Victim safety, the Victims' Code, orders and perpetrator work in a real browser: the advocate
makes and revises a safety plan; the officer records an arrest, whose Victims' Code update is
overdue a working day later, and a Stalking Protection Order whose expiry reminder the daily run
sets; a breach of the order raises a red flag; the clinician records treatment attendance in the
clinical compartment, which the advocate never sees.

Each person works in their own browser, signed in once with their password and app code."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from masip.access.models import CaseRole
from masip.accounts.models import Role
from masip.cases.models import Case, ParticipantRole
from masip.core.workdays import add_working_days
from masip.interventions.models_perpetrator import ProgrammeSession
from masip.interventions.models_safety import SafetyPlanVersion
from masip.interventions.models_vcop import VcopUpdateDue
from masip.timeline.models import RedFlagAlert
from masip.work.models import Task, TaskKind
from masip.work.services import RuleReason, work_rules_apply
from tests.factories import CaseFactory, ParticipantFactory, PersonFactory, TeamMemberFactory, UnitFactory, member

from .signin import screenshot, sign_in

pytestmark = pytest.mark.browser

CLINICAL_NOTE = "Came on time; spoke for the first time about the night he waited outside her flat."


@pytest.fixture
def desk(browser: Any) -> Iterator[Callable[[], Any]]:
    contexts: list[Any] = []

    def new_page() -> Any:
        context = browser.new_context(locale="en-GB", timezone_id="Europe/London")
        context.set_default_timeout(30_000)
        contexts.append(context)
        return context.new_page()

    yield new_page
    for context in contexts:
        context.close()


def _uk(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def _url(server: Any, name: str, case: Case, **kwargs: Any) -> str:
    return server.url + reverse(name, kwargs={"case_id": case.pk, **kwargs})


def _main(page: Any) -> str:
    return str(page.locator("main").inner_text())


def _safety_plan(page: Any, server: Any, case: Case, victim: Any) -> None:
    for risks in ("He waits outside her work at the end of her shift.", "He now also follows her bus home."):
        page.goto(_url(server, "interventions:safety_plan_revise", case, participant_id=victim.pk))
        page.get_by_label("Risks this plan addresses").fill(risks)
        page.get_by_label("Review date").fill(_uk(timezone.localdate() + timedelta(days=28)))
        page.get_by_label("Kind of action").first.select_option(index=1)
        page.get_by_label("What will be done").first.fill("Fit a doorbell camera and a personal alarm.")
        page.get_by_label("Owner").first.select_option(label="Jo Ellis")
        page.get_by_label("Due date").first.fill(_uk(timezone.localdate() + timedelta(days=7)))
        page.get_by_role("button", name="Save as a new version").click()
        page.wait_for_url(re.compile(r"/safety/[^/]+/(#.*)?$"))
        assert risks in _main(page)
    versions = list(SafetyPlanVersion.unscoped.filter(plan__participant=victim).order_by("number"))
    assert [v.number for v in versions] == [1, 2]
    page.goto(_url(server, "interventions:safety_plan_version", case, participant_id=victim.pk, number=1))
    assert "He waits outside her work at the end of her shift." in _main(page)
    screenshot(page, "interventions-1-plan-version-1")


def _arrest(page: Any, server: Any, case: Case, arrested_on: date) -> None:
    page.goto(_url(server, "interventions:legal_event_add", case))
    page.get_by_label("Arrest", exact=True).check()
    page.locator("#id_occurred_on").fill(_uk(arrested_on))
    page.locator("#id_occurred_time").fill("10:30")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(re.compile(r"/legal/$"))
    update = VcopUpdateDue.unscoped.get(case=case)
    assert update.due_on == add_working_days(arrested_on, 1)  # enhanced rights: one working day
    page.goto(_url(server, "cases:detail", case))
    line = page.locator("#vcop-link").inner_text()
    assert "1 overdue" in line
    screenshot(page, "interventions-2-vcop-overdue")


def _order_and_breach(page: Any, server: Any, case: Case) -> None:
    today = timezone.localdate()
    starts = today - timedelta(days=670)
    ends = starts + timedelta(days=731)  # two years and a day: within 90 days of its end now
    page.goto(_url(server, "interventions:order_add", case))
    page.get_by_label("Stalking Protection Order", exact=True).check()
    page.get_by_label("In force", exact=True).check()
    page.locator("#id_starts_on").fill(_uk(starts))
    page.locator("#id_ends_on").fill(_uk(ends))
    page.get_by_label("Conditions (prohibitions)").fill("Not to enter Mill Lane; not to contact her by any means.")
    page.get_by_role("button", name="Save the order").click()
    page.wait_for_url(re.compile(r"/orders/[^/]+/$"))

    work_rules_apply(case=case, reason=RuleReason.DAILY)  # the daily run
    reminder = Task.unscoped.get(case=case, kind=TaskKind.ORDER_EXPIRY)
    page.goto(_url(server, "cases:detail", case))
    assert reminder.title in _main(page)
    assert "1 in force" in page.locator("#orders").inner_text()

    page.goto(_url(server, "interventions:order_list", case))
    page.get_by_role("link", name=re.compile("Stalking Protection Order")).first.click()
    page.get_by_label("A condition of the order").check()
    page.locator("#id_occurred_on").fill(_uk(today - timedelta(days=1)))
    page.get_by_label("What happened").fill("Seen on Mill Lane outside her house at 23:00.")
    page.get_by_role("button", name="Record the breach").click()
    page.get_by_role("heading", name="Breaches").wait_for()
    breach = RedFlagAlert.unscoped.get(case=case, rule_key="breach")
    page.goto(_url(server, "timeline:alerts", case))
    assert breach.title in _main(page)
    assert "Stalking Protection Order" in _main(page)
    screenshot(page, "interventions-3-breach-flag")


def _treatment(page: Any, server: Any, case: Case) -> ProgrammeSession:
    page.goto(_url(server, "interventions:perpetrator_add", case))
    page.get_by_label("With whom").select_option(index=1)
    page.get_by_label("Kind of intervention").select_option(label="Treatment programme")
    page.get_by_label("Provider").fill("Forensic psychology service")
    page.get_by_label("Status").select_option(label="In progress")
    page.get_by_role("button", name="Add the intervention").click()
    page.get_by_role("link", name="sessions of this programme").click()
    page.get_by_role("link", name="Plan the sessions").click()
    page.get_by_label("Date of the first session").fill((timezone.localdate() - timedelta(days=7)).isoformat())
    page.get_by_label("Number of weekly sessions").fill("8")
    page.get_by_role("button", name="Plan the sessions").click()
    page.get_by_role("link", name=re.compile("Record attendance")).first.click()
    page.get_by_label("Attended", exact=True).check()
    page.get_by_label("Note").fill(CLINICAL_NOTE)
    page.get_by_role("button", name="Save attendance").click()
    page.wait_for_url(re.compile(r"/perpetrator/programmes/[^/]+/$"))
    session = ProgrammeSession.unscoped.get(case=case, attendance="attended")
    assert session.compartment == "health"
    assert "Attended 1 of 1" in _main(page)
    return session


def test_safety_plan_victims_code_order_breach_and_treatment_in_the_browser(
    live_server: Any, desk: Callable[[], Any]
) -> None:
    unit = UnitFactory(name="Thames Valley Stalking Unit", code="TVS")
    investigator = member(Role.POLICE_INVESTIGATOR, unit=unit, full_name="Sam Okafor")
    clinician = member(Role.CLINICIAN, unit=unit, full_name="Leah Byrne")
    advocate = member(Role.STALKING_ADVOCATE, unit=unit, full_name="Jo Ellis")
    case = CaseFactory(unit=unit)
    for user, role in (
        (investigator, CaseRole.LEAD_INVESTIGATOR),
        (clinician, CaseRole.LEAD_CLINICIAN),
        (advocate, CaseRole.ADVOCATE),
    ):
        TeamMemberFactory(case=case, user=user, role_on_case=role)
    victim = ParticipantFactory(case=case, person=PersonFactory(unit=unit, date_of_birth=date(1990, 4, 2)))
    ParticipantFactory(case=case, role=ParticipantRole.PERPETRATOR, person=PersonFactory(unit=unit))

    advocates_desk = desk()
    sign_in(advocates_desk, live_server, advocate)
    _safety_plan(advocates_desk, live_server, case, victim)

    officers_desk = desk()
    sign_in(officers_desk, live_server, investigator)
    _arrest(officers_desk, live_server, case, timezone.localdate() - timedelta(days=7))
    _order_and_breach(officers_desk, live_server, case)

    clinicians_desk = desk()
    sign_in(clinicians_desk, live_server, clinician)
    session = _treatment(clinicians_desk, live_server, case)

    advocates_desk.goto(_url(live_server, "interventions:perpetrator_list", case))
    assert "Treatment programme" not in _main(advocates_desk)
    assert CLINICAL_NOTE not in _main(advocates_desk)
    programme_url = _url(live_server, "interventions:perpetrator_programme", case, programme_id=session.programme_id)
    response = advocates_desk.goto(programme_url)
    assert response.status in (403, 404)
    assert CLINICAL_NOTE not in advocates_desk.content()
