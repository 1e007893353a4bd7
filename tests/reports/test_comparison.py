"""The cross-unit comparison: unit A's March 2025 figures as hand-checked in test_measures.py,
unit B's one of everything, unit C's nothing; small numbers suppressed, rates with Wilson
intervals worked out by hand, the figures precomputed and reused, the reading audited."""

from __future__ import annotations

import html as html_text
import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from masip.accounts.models import Role, Unit
from masip.audit.models import AuditEvent
from masip.referrals.models import TriageDecision
from masip.reports.comparison import (
    FIGURES_VERSION,
    Figures,
    compute_figures,
    figures_for,
    last_quarters,
    quarter_to_date,
    standard_periods,
    twelve_months,
)
from masip.reports.models import UnitFigures
from masip.reports.period import Period
from tests.conftest import verified_client
from tests.factories import AgencyFactory, MembershipFactory, UnitFactory, member
from tests.reports.fixtures import MARCH, World, _referral, at, build_world, d

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return build_world()


def analyst_of(*units: Unit) -> Any:
    user = member(Role.ANALYST, unit=units[0])
    for unit in units[1:]:
        MembershipFactory(user=user, unit=unit, role=Role.ANALYST)
    return user


def compare(user: Any, units: list[Unit] | None = None, start: str = "2025-03-01", end: str = "2025-03-31") -> Any:
    params: dict[str, Any] = {"start": start, "end": end}
    if units is not None:
        params["units"] = [str(unit.pk) for unit in units]
    return verified_client(user).get(reverse("reports:comparison"), params)


def section(body: str, element_id: str, length: int = 6000) -> str:
    start = body.index(f'id="{element_id}"')
    return body[start : start + length]


def cells(html: str) -> list[str]:
    """The text of each cell of a table row, hidden explanations left out."""
    html = re.sub(r'<span class="govuk-visually-hidden">.*?</span>', "", html)
    return [
        html_text.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
        for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", html, re.S)
    ]


def row_of(table: str, label: str) -> list[str]:
    for row in re.findall(r"<tr[^>]*>.*?</tr>", table, re.S):
        found = cells(row)
        if found and found[0] == label:
            return found[1:]
    raise AssertionError(f"No row {label!r}")


def test_unit_a_march_figures_are_the_hand_checked_measures(world: World) -> None:
    # The numbers of tests/reports/test_measures.py, reshaped: VCOP on time 1 of 4 (on time 1,
    # late 2, overdue 1); red flags raised in March 3, of which acknowledged in March 1 (C1's of
    # 5 Mar; C2's is open, C8's acknowledged on 2 April); followed up 3, re-referred 2; programmes
    # ended 2, completed 1; closures compared 2 (C3 had no intake level), both lowered.
    assert compute_figures(world.unit_a, MARCH) == Figures(
        referrals_received=9,
        decisions={"accepted": 3, "partner_managed": 1, "signposted": 2, "no_further_action": 1},
        closures={
            "risk_reduced": 2,
            "victim_declined": 1,
            "transferred": 0,
            "perpetrator_custody": 0,
            "no_contact": 0,
            "not_stalking": 0,
            "other": 0,
        },
        open_caseload={"not_assessed": 0, "low": 1, "moderate": 1, "high": 1},
        vcop_on_time=1,
        vcop_due=4,
        flags_raised=3,
        flags_acknowledged=1,
        followed_up=3,
        re_referred=2,
        programmes_ended=2,
        programmes_completed=1,
        closures_compared=2,
        closures_lowered=2,
        decision_days_n=7,
        decision_days_median=3.0,
        contact_days_n=4,
        contact_days_median=6.0,
        incident_cases=6,
        incidents_median_before=pytest.approx(0.75),
        incidents_median_after=pytest.approx(2.915),
        # Victims measured in March and twice by its end (test_measures): safety +3, -1, +5
        # (two safer), wellbeing 0, +2, +3 (two better).
        victims_measured_twice=3,
        victims_safer=2,
        victims_wellbeing_better=2,
    )


def test_unit_c_has_zeros_not_an_error(world: World) -> None:
    figures = compute_figures(world.unit_c, MARCH)
    assert (figures.referrals_received, figures.decided) == (0, 0)
    assert (figures.decision_days_median, figures.incidents_median_before) == (None, None)


def test_the_analyst_of_three_units_compares_them_small_numbers_suppressed(world: World) -> None:
    user = analyst_of(world.unit_a, world.unit_b, world.unit_c)
    response = compare(user)
    assert response.status_code == 200
    body = response.content.decode()
    a, b, c = world.unit_a.name, world.unit_b.name, world.unit_c.name
    # Referrals received: A 9, B 1, C 0, all 10. B's 1 is under 5 ("<5"); alone in its line it
    # could be worked out as 10 - 9, so the smallest other non-zero count, A's 9, is hidden ("*").
    summary = section(body, "summary")
    assert [a, b, c, "All units"] == cells(summary[: summary.index("</thead>")])[1:]
    assert row_of(summary, "Referrals received") == ["*", "<5", "0", "10"]
    # Time to decision: A median 3 over 7 decided; B 1 decided, too few for a median; C none.
    decision = row_of(summary, "Days from referral to decision: median (n referrals decided)")
    assert decision == ["3 (7)", "not shown (<5)", "no data (0)", "\N{EN DASH}"]
    # First contact: A 4 cases, too few.
    contact = row_of(summary, "Days from referral to first contact with the victim: median (n cases first contacted)")
    assert contact[0] == "not shown (<5)"
    # Decisions (accepted, partner-managed, signposted, NFA): A 3 1 2 1 = 7, B 1 0 0 0 = 1, C zeros.
    # Every non-zero count is under 5. B's total 1 is small too; in the column of totals (7, 1,
    # 0, 8) it would be 8 - 7, so A's total 7 is hidden ("*"). The grand total 8 stays.
    decisions = section(body, "decisions")
    assert row_of(decisions, a) == ["<5", "<5", "<5", "<5", "*"]
    assert row_of(decisions, b) == ["<5", "0", "0", "0", "<5"]
    assert row_of(decisions, c) == ["0", "0", "0", "0", "0"]
    assert row_of(decisions, "All units")[-1] == "8"
    # Closures by reason: B's single risk-reduced closure is suppressed.
    closures = section(body, "closures")
    assert row_of(closures, b)[0] == "<5"
    # Rates: A's accepted 3 of 7 is a small count, so no rate (its 7 is hidden by B's total, as
    # above); B's 1 of 1 is small in all; C has nothing to count.
    accepted = section(body, "rate-accepted")
    assert row_of(accepted, a) == ["<5", "*", "Not shown: fewer than 5 counted"]
    assert row_of(accepted, b) == ["<5", "<5", "Not shown: fewer than 5 in all"]
    assert row_of(accepted, c) == ["0", "0", "No data"]
    # Victim-reported: A's 2 safer of 3 measured twice, both small; B's victim went from 1 to 10.
    safer = section(body, "rate-safety")
    assert row_of(safer, a) == ["<5", "<5", "Not shown: fewer than 5 in all"]
    assert row_of(safer, b)[2] == "Not shown: fewer than 5 in all"
    # Incidents per month: A's 6 cases give medians 0.75 before and 2.915 after (to 2 places).
    incidents = section(body, "incidents")
    assert row_of(incidents, a) == ["6", "0.75", "2.92"]
    assert row_of(incidents, b) == ["<5", "Not shown: fewer than 5 cases"]
    # No unit's accepted share may be shown, so no chart of it.
    assert "no chart: the tables say why" in body
    assert "Figures computed on" in body
    for case in world.cases.values():
        assert case.reference not in body
    event = AuditEvent.objects.filter(object_type="reports.comparison").get()
    assert event.actor_id == user.pk
    assert event.detail == {
        "event": "unit_comparison",
        "units": [unit.pk for unit in sorted((world.unit_a, world.unit_b, world.unit_c), key=lambda u: u.name)],
        "start": "2025-03-01",
        "end": "2025-03-31",
    }


def test_a_rate_with_enough_cases_has_its_wilson_interval(world: World) -> None:
    # Unit D decides 20 referrals in March: 12 accepted, 8 no further action; C has none.
    # Wilson, z = 1.959964 (z^2 = 3.841459), p = 12/20 = 0.6, n = 20:
    #   denominator 1 + z^2/n = 1.192073; centre (p + z^2/2n) / denominator = 0.696036 / 1.192073 = 0.583887;
    #   half-width z / denominator x sqrt(p(1-p)/n + z^2/4n^2) = 1.644167 x 0.120003 = 0.197306;
    #   interval 0.386582 to 0.781193: 60.0% (38.7% to 78.1%).
    unit_d = UnitFactory(name="Unit D")
    agency = AgencyFactory()
    for number in range(20):
        decision = TriageDecision.ACCEPTED if number < 12 else TriageDecision.NO_FURTHER_ACTION
        _referral(unit_d, agency, at(d(3, 2)), d(3, 5), decision=decision)
    response = compare(analyst_of(world.unit_c, unit_d))
    accepted = section(response.content.decode(), "rate-accepted")
    assert row_of(accepted, "Unit D") == ["12", "20", "60.0%", "38.7% to 78.1%"]
    assert row_of(accepted, "All units") == ["12", "20", "60.0%", "38.7% to 78.1%"]
    # The chart draws it: Unit D's bar is labelled 60 (%); C has none to draw.
    chart = section(response.content.decode(), "chart-accepted-rate")
    assert 'aria-labelledby="chart-accepted-title' in chart
    assert ">60<" in chart


def test_unticked_units_are_left_out(world: World) -> None:
    user = analyst_of(world.unit_a, world.unit_b, world.unit_c)
    body = compare(user, units=[world.unit_a, world.unit_c]).content.decode()
    summary = section(body, "summary")
    assert world.unit_b.name not in summary
    # A 9 and C 0 alone: nothing under 5, nothing hidden.
    assert row_of(summary, "Referrals received") == ["9", "0", "9"]
    assert AuditEvent.objects.get(object_type="reports.comparison").detail["units"] == [
        unit.pk for unit in sorted((world.unit_a, world.unit_c), key=lambda u: u.name)
    ]


def test_a_unit_the_reader_does_not_hold_is_refused(world: World) -> None:
    user = analyst_of(world.unit_a, world.unit_b)
    response = compare(user, units=[world.unit_a, world.unit_c])
    assert response.status_code == 400
    assert "Tick only units listed here" in response.content.decode()
    assert not AuditEvent.objects.filter(object_type="reports.comparison").exists()


def test_a_reader_of_one_unit_is_told_there_is_nothing_to_compare(world: World) -> None:
    response = compare(member(Role.ANALYST, unit=world.unit_a))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="one-unit"' in body
    assert "no other unit to compare it with" in body
    assert reverse("reports:dashboard") in body
    assert not UnitFigures.objects.exists()


def test_a_reversed_period_is_refused_with_what_to_do(world: World) -> None:
    response = compare(analyst_of(world.unit_a, world.unit_b), start="2025-03-31", end="2025-03-01")
    assert response.status_code == 400
    assert "ends (01/03/2025) before it starts (31/03/2025)" in response.content.decode()
    assert not UnitFigures.objects.exists()
    assert not AuditEvent.objects.filter(object_type="reports.comparison").exists()


def test_an_empty_period_is_zeros(world: World) -> None:
    response = compare(analyst_of(world.unit_a, world.unit_b), start="2020-01-01", end="2020-01-31")
    assert response.status_code == 200
    assert row_of(section(response.content.decode(), "summary"), "Referrals received") == ["0", "0", "0"]


def test_other_roles_are_refused(world: World) -> None:
    assert compare(member(Role.POLICE_INVESTIGATOR, unit=world.unit_a)).status_code == 403


def test_the_default_is_every_unit_over_the_twelve_months_to_yesterday(world: World) -> None:
    user = analyst_of(world.unit_a, world.unit_b)
    response = verified_client(user).get(reverse("reports:comparison"))
    assert response.status_code == 200
    yesterday = timezone.localdate() - timedelta(days=1)
    detail = AuditEvent.objects.get(object_type="reports.comparison").detail
    assert detail["end"] == yesterday.isoformat()
    assert len(detail["units"]) == 2


def test_standard_periods() -> None:
    today = date(2026, 11, 22)
    quarters = last_quarters(today)
    assert quarters[0] == Period(date(2026, 7, 1), date(2026, 9, 30))
    assert quarters[-1] == Period(date(2024, 10, 1), date(2024, 12, 31))
    assert len(quarters) == 8
    assert quarter_to_date(today) == Period(date(2026, 10, 1), date(2026, 11, 21))
    assert quarter_to_date(date(2026, 10, 1)) is None
    assert twelve_months(today) == Period(date(2025, 11, 22), date(2026, 11, 21))
    assert len(standard_periods(today)) == 10
    assert last_quarters(date(2025, 1, 15))[0] == Period(date(2024, 10, 1), date(2024, 12, 31))


def test_precompute_fills_the_rows_and_a_read_uses_them(world: World, django_assert_num_queries: Any) -> None:
    call_command("reports_precompute")
    units = list(Unit.objects.order_by("name"))
    periods = standard_periods()
    assert UnitFigures.objects.count() == len(units) * len(periods) == len(units) * 10
    assert set(UnitFigures.objects.values_list("version", flat=True)) == {FIGURES_VERSION}
    period = periods[0]
    before = dict(UnitFigures.objects.filter(start=period.start, end=period.end).values_list("unit_id", "computed_at"))
    with django_assert_num_queries(1):
        stored = figures_for(units, period)
    assert {row.unit.pk: row.computed_at for row in stored} == before
    # A second run the same day changes nothing.
    call_command("reports_precompute")
    assert dict(
        UnitFigures.objects.filter(start=period.start, end=period.end).values_list("unit_id", "computed_at")
    ) == (before)


def test_precompute_one_unit_and_one_kind(world: World) -> None:
    call_command("reports_precompute", unit=world.unit_b.code, period=["quarters"])
    assert UnitFigures.objects.count() == 8
    assert set(UnitFigures.objects.values_list("unit_id", flat=True)) == {world.unit_b.pk}


def test_precompute_refuses_an_unknown_unit(world: World) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No unit has the code"):
        call_command("reports_precompute", unit="nope")


def test_stale_rows_are_recomputed(world: World) -> None:
    [first] = figures_for([world.unit_a], MARCH)
    assert first.figures.referrals_received == 9
    # Another version's row, or one computed before today, is counted again.
    UnitFigures.objects.update(version=FIGURES_VERSION + 1, figures={"shape": "another"})
    [again] = figures_for([world.unit_a], MARCH)
    assert again.figures.referrals_received == 9
    assert again.computed_at > first.computed_at
    row = UnitFigures.objects.get()
    assert row.version == FIGURES_VERSION
    yesterday = timezone.now() - timedelta(days=1)
    UnitFigures.objects.update(computed_at=yesterday)
    [third] = figures_for([world.unit_a], MARCH)
    assert third.computed_at > yesterday + timedelta(hours=12)
    assert UnitFigures.objects.count() == 1


def test_the_page_reads_stored_figures_in_a_few_queries(world: World, django_assert_max_num_queries: Any) -> None:
    units = [world.unit_a, world.unit_b, world.unit_c]
    stored = figures_for(units, MARCH)
    client = verified_client(analyst_of(*units))
    client.get(reverse("home"))
    with django_assert_max_num_queries(20):
        response = client.get(reverse("reports:comparison"), {"start": "2025-03-01", "end": "2025-03-31"})
    assert response.status_code == 200
    assert {row.unit.pk: row.computed_at for row in figures_for(units, MARCH)} == {
        row.unit.pk: row.computed_at for row in stored
    }
