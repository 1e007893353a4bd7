"""The pattern of behaviour in a real browser: an ex-partner's weeks of messages, then loitering
near her home, then turning up there, then a threat to kill, with the red flag the engine raised.
The lead investigator opens the case, follows "Pattern of behaviour" and sees the escalation: the
rows climb from communication to approaching, every mark names its date and behaviour, the red
flag is marked, the weekly rate has a change point, and the table holds the same entries."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from django.urls import reverse

from masip.access.models import CaseRole
from masip.accounts.models import Role
from masip.timeline.models import ReportedBy
from tests.factories import CaseFactory, TeamMemberFactory, UnitFactory, member
from tests.timeline.analytics_helpers import alert, entry

from .signin import screenshot, sign_in

pytestmark = pytest.mark.browser

START = date(2026, 1, 5)  # a Monday


@pytest.fixture
def desk(browser: Any) -> Iterator[Callable[[], Any]]:
    contexts: list[Any] = []

    def new_page() -> Any:
        context = browser.new_context(
            locale="en-GB", timezone_id="Europe/London", viewport={"width": 1280, "height": 900}
        )
        context.set_default_timeout(30_000)
        contexts.append(context)
        return context.new_page()

    yield new_page
    for context in contexts:
        context.close()


def _vignette(case: Any) -> None:
    # Eight weeks of messages after the separation, one or two a week.
    for week in range(8):
        entry(case, START + timedelta(weeks=week, days=1), "comm_text", incidents=1 + week % 2)
    # Then loitering near her home most evenings for three weeks, and messages every day.
    loiter = START + timedelta(weeks=8)
    entry(case, loiter, "loitering", until=loiter + timedelta(days=20), incidents=15, reported_by=ReportedBy.WITNESS)
    entry(case, loiter, "comm_text", "comm_phone", until=loiter + timedelta(days=20), incidents=42)
    # Then he turns up at the house twice, and threatens to kill her.
    home = START + timedelta(weeks=11, days=2)
    first = entry(case, home, "turning_up_home", reported_by=ReportedBy.POLICE)
    second = entry(case, home + timedelta(days=4), "turning_up_home", "property_damage", reported_by=ReportedBy.POLICE)
    threat = entry(case, home + timedelta(days=6), "threat_kill", "comm_text", incidents=3)
    alert(case, home + timedelta(days=6), "Threat to kill after visits to the home", entries=[first, second, threat])


def test_the_pattern_page_shows_the_escalation(live_server: Any, desk: Callable[[], Any]) -> None:
    unit = UnitFactory(name="Thames Valley Stalking Unit", code="TVS")
    investigator = member(Role.POLICE_INVESTIGATOR, unit=unit, full_name="Sam Okafor")
    case = CaseFactory(unit=unit)
    TeamMemberFactory(case=case, user=investigator, role_on_case=CaseRole.LEAD_INVESTIGATOR)
    _vignette(case)

    page = desk()
    sign_in(page, live_server, investigator)
    page.goto(live_server.url + reverse("cases:detail", kwargs={"case_id": case.pk}))
    page.get_by_role("link", name="Pattern of behaviour").click()
    page.wait_for_url(live_server.url + reverse("timeline:pattern", kwargs={"case_id": case.pk}))
    page.get_by_role("heading", name="Pattern of behaviour", level=1).wait_for()

    chart = page.get_by_role("img", name=re.compile(r"^Pattern of behaviour over time"))
    chart.wait_for()
    rows = page.locator("svg .masip-timeline-chart__group").all_text_contents()
    assert rows.index("Following and approaching") < rows.index("Threats") < rows.index("Unwanted communication")
    marks = page.locator("svg .masip-timeline-chart__entry title").all_text_contents()
    assert len(marks) == 15  # 13 entries; the threatening message is on two rows, the 42 messages and calls on one
    assert any(m.startswith("25 Mar 2026: Turning up at the victim's home") for m in marks)
    assert any("Threat to kill; 3 incidents" in m and "cited by red flag" in m for m in marks)
    assert any(m.startswith("2 Mar 2026 to 22 Mar 2026: Loitering or watching; 15 incidents") for m in marks)
    flag = page.locator("svg .masip-timeline-chart__flag title").all_text_contents()
    assert flag == ["31 Mar 2026: Threat to kill after visits to the home (red flag 1, open)"]
    description = page.locator("#pattern-chart-desc").text_content() or ""
    assert "closest contact reached: approach" in description

    weekly = page.get_by_role("img", name=re.compile(r"^Incidents per week"))
    weekly.wait_for()
    changes = page.locator("svg .masip-weekly-chart__change title").all_text_contents()
    assert changes, "the jump from a message or two a week to daily contact is a change point"
    assert changes[0].startswith("Change point, week of 2 Mar 2026: the rate rose")
    assert "Rate changed" in page.locator("#weekly-table").inner_text()
    summary = page.locator("#escalation-summary").inner_text()
    assert re.search(r"from 1\.5 to \d+(\.\d)? a week in the week of 2 Mar 2026", summary), summary

    table = page.locator("#pattern-table")
    assert table.locator("tbody tr").count() == 13
    text = table.inner_text()
    assert "Threat to kill after visits to the home" in text
    assert "Turning up at the victim's home, Damaging property" in text
    screenshot(page, "timeline-1-pattern")

    page.get_by_role("link", name="Print this timeline").click()
    page.get_by_role("img", name=re.compile(r"^Pattern of behaviour over time")).wait_for()
    assert page.get_by_role("navigation", name="Menu").count() == 0
    assert page.locator("form").count() == 0
    screenshot(page, "timeline-2-print")
