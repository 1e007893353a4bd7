"""Risk assessment in a real browser: the unit manager loads a licensed-style instrument from a
definition file, the lead investigator assesses a case with it, sees the band the engine
computes, is refused when judging the risk lower, raises it with reasons, and the case's risk
history chart moves from the computed level to the raised one.

Each person works in their own browser, signed in once with their password and app code."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.urls import reverse

from masip.access.models import CaseRole
from masip.accounts.models import Role
from masip.cases.models import Case, RiskLevel
from masip.risk.models import Assessment, AssessmentStatus, InstrumentVersion
from tests.factories import CaseFactory, TeamMemberFactory, UnitFactory, member

from .signin import screenshot, sign_in

pytestmark = pytest.mark.browser

# A unit's own licensed-style set: the wording is written for this test, the shape is a real
# screen's (yes/no questions counted, thresholds to bands, a follow-on prompt).
DEFINITION = """\
id: northshire-screen
name: Northshire stalking screen
version: "2.1"
licence: Licensed to the Thames Valley Stalking Unit for its own cases; not for redistribution.
roles: [police_investigator, clinician]
compartment: team
sections:
  - id: pattern
    title: The pattern so far
    items:
      - id: fear
        type: yes_no
        text: Is the victim afraid of what will happen next?
      - id: visits
        type: yes_no
        text: Has the person come to the victim's home or work uninvited?
      - id: threats
        type: yes_no
        text: Has the person threatened the victim or people close to them?
      - id: damage
        type: yes_no
        text: Has the person damaged the victim's property?
      - id: others
        type: yes_no
        text: Has the person got others to watch or contact the victim?
scoring:
  method: count_yes
  bands:
    - {id: standard, label: Standard concern, level: low, minimum: 0}
    - {id: elevated, label: Elevated concern, level: moderate, minimum: 2}
    - {id: severe, label: Severe concern, level: high, minimum: 4}
triggers:
  - when: {level_at_least: moderate}
    action: prompt_formulation
    message: Elevated or severe concern - ask the lead clinician for a formulation.
"""
RAISE_REASONS = "He bought a tracker last week and asked her sister where she now works."


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


def _main(page: Any) -> str:
    return str(page.locator("main").inner_text())


def _load_instrument(page: Any, server: Any) -> InstrumentVersion:
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Risk instruments").click()
    page.get_by_role("link", name="Upload a definition file").click()
    page.get_by_label("Definition file").set_input_files(
        {"name": "northshire-screen-2.1.yaml", "mimeType": "application/yaml", "buffer": DEFINITION.encode()}
    )
    page.get_by_role("button", name="Upload and check").click()
    page.get_by_text("Northshire stalking screen").first.wait_for()
    version = InstrumentVersion.objects.get(instrument__key="northshire-screen", version="2.1")
    assert version.instrument.unit is not None
    assert version.illustrative is False
    screenshot(page, "risk-1-instrument-loaded")
    return version


def _answer(page: Any, question: str, answer: str) -> None:
    page.get_by_role("group", name=question).get_by_label(answer, exact=True).check()


def _assess(page: Any, server: Any, case: Case) -> Assessment:
    page.goto(server.url + reverse("cases:detail", kwargs={"case_id": case.pk}))
    page.get_by_role("link", name="Risk assessments").click()
    page.wait_for_url(server.url + reverse("risk:assessments", kwargs={"case_id": case.pk}))
    page.get_by_role("link", name=re.compile("Start")).first.click()
    page.get_by_role("button", name="Start Northshire stalking screen").click()
    page.get_by_text("Northshire stalking screen started.").wait_for()
    _answer(page, "Is the victim afraid of what will happen next?", "Yes")
    _answer(page, "Has the person come to the victim's home or work uninvited?", "Yes")
    _answer(page, "Has the person threatened the victim or people close to them?", "No")
    _answer(page, "Has the person damaged the victim's property?", "Unknown")
    _answer(page, "Has the person got others to watch or contact the victim?", "No")
    page.get_by_label("Rationale").fill("Two of five: she is afraid and he has come to her work.")

    # Judgement may never lower what the answers give: two "yes" are elevated (moderate).
    page.get_by_role("group", name="Your professional judgement of the level").get_by_label("Low").check()
    page.get_by_label("Why you judge the risk higher").fill("She thinks he will stop now.")
    page.get_by_role("button", name="Complete assessment").click()
    page.locator(".govuk-error-summary").get_by_text(re.compile("never lower")).wait_for()
    assessment = Assessment.unscoped.get(case=case)
    assert assessment.status == AssessmentStatus.DRAFT
    assert assessment.level == ""
    screenshot(page, "risk-2-lowering-refused")

    page.get_by_role("group", name="Your professional judgement of the level").get_by_label("Moderate").check()
    page.get_by_label("Why you judge the risk higher").fill("")
    page.get_by_role("button", name="Complete assessment").click()
    page.get_by_text("Assessment completed.").wait_for()
    main = _main(page)
    assert "Elevated concern" in main
    assert "ask the lead clinician for a formulation" in main
    assessment.refresh_from_db()
    assert (assessment.status, assessment.score, assessment.computed_level) == ("completed", 2, "moderate")
    assert assessment.instrument_version.version == "2.1"
    case.refresh_from_db()
    assert case.risk_level == RiskLevel.MODERATE
    return assessment


def _chart_points(page: Any, server: Any, case: Case) -> list[str]:
    page.goto(server.url + reverse("risk:history", kwargs={"case_id": case.pk}))
    page.get_by_role("heading", name="Risk over time").wait_for()
    if page.locator("#no-history").count():
        return []
    chart = page.get_by_role("img", name=re.compile("risk", re.IGNORECASE))
    chart.wait_for()
    return [str(t) for t in page.locator("svg .masip-risk-chart__point title").all_text_contents()]


def _raise(page: Any, server: Any, case: Case, assessment: Assessment) -> None:
    page.goto(server.url + reverse("risk:assessment", kwargs={"case_id": case.pk, "assessment_id": assessment.pk}))
    raise_form = page.locator("form", has=page.get_by_role("button", name="Raise the level"))
    raise_form.get_by_label("Low").check()
    raise_form.get_by_label("Your reasons").fill("The officer thinks it has calmed down.")
    page.get_by_role("button", name="Raise the level").click()
    page.locator(".govuk-error-summary").get_by_text(re.compile("never lower")).wait_for()
    assessment.refresh_from_db()
    assert assessment.level == "moderate"

    raise_form = page.locator("form", has=page.get_by_role("button", name="Raise the level"))
    raise_form.get_by_label("High").check()
    raise_form.get_by_label("Your reasons").fill(RAISE_REASONS)
    page.get_by_role("button", name="Raise the level").click()
    page.get_by_text("Level raised to High, with your reasons.").wait_for()
    assert RAISE_REASONS in _main(page)
    assessment.refresh_from_db()
    assert (assessment.computed_level, assessment.level) == ("moderate", "high")


def test_a_loaded_instrument_assesses_a_case_and_judgement_raises_but_never_lowers(
    live_server: Any, desk: Callable[[], Any]
) -> None:
    unit = UnitFactory(name="Thames Valley Stalking Unit", code="TVS")
    manager = member(Role.UNIT_MANAGER, unit=unit, full_name="Morgan Reid")
    investigator = member(Role.POLICE_INVESTIGATOR, unit=unit, full_name="Sam Okafor")
    case = CaseFactory(unit=unit)
    TeamMemberFactory(case=case, user=investigator, role_on_case=CaseRole.LEAD_INVESTIGATOR)

    manager_page = desk()
    sign_in(manager_page, live_server, manager)
    _load_instrument(manager_page, live_server)

    page = desk()
    sign_in(page, live_server, investigator)
    assert _chart_points(page, live_server, case) == []
    assessment = _assess(page, live_server, case)
    before = _chart_points(page, live_server, case)
    assert len(before) == 1
    assert "Moderate" in before[0]
    assert "Northshire stalking screen" in before[0]
    assert "Moderate" in page.locator("#risk-table").inner_text()

    _raise(page, live_server, case, assessment)
    after = _chart_points(page, live_server, case)
    screenshot(page, "risk-3-history-raised")
    assert len(after) == 1
    assert "High" in after[0]
    assert "raised by judgement from Moderate" in after[0]
    assert "High" in page.locator("#current-risk").inner_text()
    assert "Raised by judgement; the answers gave moderate" in page.locator("#risk-table").inner_text()
    case.refresh_from_db()
    assert case.risk_level == RiskLevel.HIGH
