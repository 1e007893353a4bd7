"""Every measure against figures worked out by hand on the fixed data set of fixtures.py
(unit A over March 2025; unit B's March must never be counted; unit C has nothing)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from masip.reports import measures
from masip.reports.measures import (
    CaseIncidentRate,
    Counted,
    Days,
    IncidentRates,
    ReReferrals,
    RiskTransitions,
    ScaleChange,
    Transition,
    VictimChange,
)
from masip.reports.period import Period
from tests.reports.fixtures import MARCH, NOTHING_HAPPENED, World, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return build_world()


def counts(rows: tuple[Counted, ...]) -> dict[str, int]:
    return {row.key: row.count for row in rows}


def of_a(world: World, function: Any, period: Any = MARCH) -> Any:
    return function(unit_ids=[world.unit_a.pk], period=period)


def test_referrals_by_source(world: World) -> None:
    # Received 1-31 March: P R2 R3 R4 R5 = 4 (R1 came 25 Feb); N R6 (00:05 on 1 March) R7 R8 = 3;
    # V R9, R10 (23:30 on 31 March, BST) = 2 (R11 came in January, R12 is a draft). Most first.
    rows = of_a(world, measures.referrals_by_source)
    agencies = world.agencies
    assert rows == (
        Counted(f"agency:{agencies['P'].pk}", "Police force P", 4),
        Counted(f"agency:{agencies['N'].pk}", "NHS trust N", 3),
        Counted(f"agency:{agencies['V'].pk}", "Advocacy V", 2),
    )


def test_referrals_per_month_every_month_of_the_period(world: World) -> None:
    # 1 Jan to 15 Apr: January R11; February R1; March R2-R10 = 9 (R6 at 00:05 on 1 March, R10 at
    # 23:30 UK time on 31 March are March's); April none (R12 is a draft).
    rows = of_a(world, measures.referrals_per_month, Period(date(2025, 1, 1), date(2025, 4, 15)))
    assert [(row.key, row.label, row.count) for row in rows] == [
        ("2025-01", "Jan 2025", 1),
        ("2025-02", "Feb 2025", 1),
        ("2025-03", "Mar 2025", 9),
        ("2025-04", "Apr 2025", 0),
    ]


def test_decisions_every_value_zero_included(world: World) -> None:
    # Decided in March: accepted R1 R2 R3; partner-managed R4; signposted R6 R9; NFA R7.
    # R8 is decided on 2 April, R11 in January, R5 and R10 not yet.
    rows = of_a(world, measures.decisions)
    assert rows == (
        Counted("accepted", "Accepted for unit risk management", 3),
        Counted("partner_managed", "Partner-managed with unit advice", 1),
        Counted("signposted", "Signposted", 2),
        Counted("no_further_action", "No further action", 1),
    )


def test_time_to_decision(world: World) -> None:
    # Days received -> decided: R1 6, R2 2, R3 0, R4 4, R6 10, R7 1, R9 3.
    # Sorted 0 1 2 3 4 6 10: median 3; 90th at position 6 x 0.9 = 5.4: 6 + 0.4 x (10 - 6) = 7.6.
    assert of_a(world, measures.time_to_decision) == Days(n=7, median=3.0, p90=pytest.approx(7.6))


def test_time_to_decision_bands(world: World) -> None:
    # The same days: R3 0 | R7 1 | R2 2, R9 3 | R4 4, R1 6 | R6 10 | none 15-28 | none 29+.
    rows = of_a(world, measures.time_to_decision_bands)
    assert [(row.key, row.label, row.count) for row in rows] == [
        ("0", "Same day", 1),
        ("1", "1 day", 1),
        ("2-3", "2 to 3 days", 2),
        ("4-7", "4 to 7 days", 2),
        ("8-14", "8 to 14 days", 1),
        ("15-28", "15 to 28 days", 0),
        ("29+", "29 days or more", 0),
    ]


def test_time_to_decision_bands_over_the_first_quarter(world: World) -> None:
    # January to March adds R11 (10 -> 15 Jan, 5 days) to 4-7.
    rows = of_a(world, measures.time_to_decision_bands, Period(date(2025, 1, 1), date(2025, 3, 31)))
    assert counts(rows) == {"0": 1, "1": 1, "2-3": 2, "4-7": 3, "8-14": 1, "15-28": 0, "29+": 0}


def test_victim_reported_change(world: World) -> None:
    # Victims measured in March whose latest measure up to 31 March is not their first:
    # C1 3/4 -> 6/4 (+3, 0); C2 5/6 -> 4/8 (-1, +2); C4 2/3 (20 Jan) -> 7/6 (10 Mar) (+5, +3).
    # C3's second measure is on 2 April (one measure by 31 March); C8 was measured once; C5's
    # were in 2023-24; unit B's victim is B's.
    # Safety +3 -1 +5: median 3, 2 improved, 1 worse. Wellbeing 0 +2 +3: median 2, 2 improved, 1 same.
    assert of_a(world, measures.victim_reported_change) == VictimChange(
        measured_twice=3,
        safety=ScaleChange(median=3.0, improved=2, same=0, worse=1),
        wellbeing=ScaleChange(median=2.0, improved=2, same=1, worse=0),
    )


def test_victim_reported_change_counts_the_latest_up_to_the_period_end(world: World) -> None:
    # February: only C4 was measured (20 Feb): 2/3 -> 4/5, +2 on both.
    february = Period(date(2025, 2, 1), date(2025, 2, 28))
    assert of_a(world, measures.victim_reported_change, february) == VictimChange(
        1, ScaleChange(2.0, 1, 0, 0), ScaleChange(2.0, 1, 0, 0)
    )
    # April: C3 2 Apr, 4/4 (5 Mar) -> 8/8: +4 on both.
    april = Period(date(2025, 4, 1), date(2025, 4, 30))
    assert of_a(world, measures.victim_reported_change, april) == VictimChange(
        1, ScaleChange(4.0, 1, 0, 0), ScaleChange(4.0, 1, 0, 0)
    )
    # Unit B's victim, for B: 1/1 -> 10/10.
    assert measures.victim_reported_change(unit_ids=[world.unit_b.pk], period=MARCH) == VictimChange(
        1, ScaleChange(9.0, 1, 0, 0), ScaleChange(9.0, 1, 0, 0)
    )


def test_time_to_first_contact(world: World) -> None:
    # First victim contact in March: C1 6 Mar (R1 25 Feb: 9 days; the 4 March contact was with
    # the perpetrator), C2 5 Mar (R2 2 Mar: 3), C3 5 Mar (R3 same day: 0), C8 3 Mar (no referral,
    # opened 1 Feb: 30). C4's first contact was in January; C10 has only a plain note.
    # Sorted 0 3 9 30: median (3 + 9) / 2 = 6; 90th at 2.7: 9 + 0.7 x 21 = 23.7.
    assert of_a(world, measures.time_to_first_contact) == Days(n=4, median=6.0, p90=pytest.approx(23.7))


def test_open_caseload_by_risk(world: World) -> None:
    # Open at the end of 31 March: C1 high, C8 moderate, C10 low (closed 10 April). C2 C3 C4
    # closed in March, C5-C7 in 2024; C9 opened in April.
    rows = of_a(world, measures.open_caseload_by_risk)
    assert counts(rows) == {"not_assessed": 0, "low": 1, "moderate": 1, "high": 1}
    assert [row.label for row in rows] == ["Not yet assessed", "Low", "Moderate", "High"]


def test_red_flags(world: World) -> None:
    # Raised in March: C1 5 Mar, C2 21 Mar, C8 29 Mar = 3. Acknowledged in March: C1's of 5 Mar
    # (6 Mar) and C1's of 20 Feb (2 Mar) = 2; C8's is acknowledged on 2 April.
    assert counts(of_a(world, measures.red_flags)) == {"raised": 3, "acknowledged": 2}


def test_orders(world: World) -> None:
    # Applied for (recorded in March): O1 (6 Mar), O2 (12 Mar), O5 refused (20 Mar) = 3; O3 and O4
    # were recorded in February. Granted, starting in March: O1 in force (7 Mar), O4 expired
    # (1 Mar) = 2; O2 is applied for, O3 started in February, O5 refused. Breaches in March: C1's
    # of O1 on 20 Mar = 1 (C10's of O4 is on 2 April).
    assert counts(of_a(world, measures.orders)) == {"applied": 3, "granted": 2, "breached": 1}


def test_vcop_on_time(world: World) -> None:
    # Due in March (withdrawn left out): due 6 Mar sent 6 Mar 21:00 on time; due 11 Mar sent
    # 12 Mar late; due 15 Mar still open, overdue; due 31 Mar sent 00:30 on 1 April UK time (23:30
    # UTC on the 31st) late. The one due 25 Feb is outside; the one due 19 Mar was withdrawn.
    assert counts(of_a(world, measures.vcop_on_time)) == {"on_time": 1, "late": 2, "overdue": 1, "not_yet_due": 0}


def test_interventions(world: World) -> None:
    # Started in March: the warning visit (2 Mar) and C1's programme (10 Mar) = 2. Completed in
    # March: the warning visit and C8's programme (20 Mar) = 2; C10's was withdrawn, C2's support
    # starts in April.
    assert counts(of_a(world, measures.interventions)) == {"started": 2, "completed": 2}


def test_closures_by_reason(world: World) -> None:
    # Closed in March: C2 risk reduced (25 Mar), C3 victim declined (28 Mar), C4 risk reduced (10 Mar).
    rows = of_a(world, measures.closures_by_reason)
    assert counts(rows) == {
        "risk_reduced": 2,
        "victim_declined": 1,
        "transferred": 0,
        "perpetrator_custody": 0,
        "no_contact": 0,
        "not_stalking": 0,
        "other": 0,
    }


def test_risk_transitions(world: World) -> None:
    # C2: first completed assessment 4 Mar moderate (the draft high of 1 Mar does not count, the
    # low of 20 Mar is later) -> closed low. C3: no assessment -> closed high. C4: first completed
    # 16 Jan, computed high with no judgement -> closed low.
    assert of_a(world, measures.risk_transitions) == RiskTransitions(
        closures=3,
        transitions=(
            Transition("not_assessed", "Not yet assessed", "high", "High", 1),
            Transition("moderate", "Moderate", "low", "Low", 1),
            Transition("high", "High", "low", "Low", 1),
        ),
        lowered=2,
        unchanged=0,
        raised=0,
        not_assessed_at_intake=1,
    )


def test_incidents_per_month(world: World) -> None:
    # Open at some time in March: C4 C8 C10 C1 C2 C3 (by opening). Before = incidents in the
    # 180 days before acceptance x 30 / 180; after = incidents from acceptance to min(180 days,
    # closure, 31 Mar) x 30 / days.
    # C4 accepted 15 Jan, closed 10 Mar: 55 days; before 9 (1 Dec) -> 1.5; after 5 -> 2.73.
    # C8 accepted 1 Feb, open: 59 days, nothing -> 0, 0.
    # C10 accepted 10 Feb, closed 10 Apr: to 31 Mar, 50 days; after 10 (15 Mar) -> 6.0.
    # C1 accepted 3 Mar: 29 days; before 6 + 12 = 18 -> 3.0 (1 Aug 2024 is too early);
    #    after 2 + 1 = 3 -> 3.1 (5 April is after the period).
    # C2 accepted 4 Mar, closed 25 Mar: 22 days; before 30 -> 5.0; after 11 -> 15.0.
    # C3 accepted 5 Mar, closed 28 Mar: 24 days, nothing.
    # Medians: before 0 0 0 1.5 3 5 -> 0.75; after 0 0 2.73 3.1 6 15 -> 2.915.
    rates = of_a(world, measures.incidents_per_month)
    cases = world.cases
    expected = [
        ("A-C4", 1.5, 2.73, 55),
        ("A-C8", 0.0, 0.0, 59),
        ("A-C10", 0.0, 6.0, 50),
        ("A-C1", 3.0, 3.1, 29),
        ("A-C2", 5.0, 15.0, 22),
        ("A-C3", 0.0, 0.0, 24),
    ]
    assert rates == IncidentRates(
        cases=tuple(
            CaseIncidentRate(str(cases[ref].pk), ref, before, after, days) for ref, before, after, days in expected
        ),
        median_before=pytest.approx(0.75),
        median_after=pytest.approx(2.915),
    )


def test_re_referrals(world: World) -> None:
    # Follow-up ending in March 2025: closed 1-31 March 2024: C5 (20 Mar), C6 (10 Mar), C7 (25 Mar).
    # C5: R7 (12 Mar 2025) names its victim, within 365 days -> re-referred.
    # C6: C4 is marked its repeat -> re-referred.
    # C7: R10 names its perpetrator on 31 Mar 2025, 371 days after -> not.
    assert of_a(world, measures.re_referrals) == ReReferrals(closed=3, re_referred=2)


def test_treatment_completion(world: World) -> None:
    # Programmes: C1's started 10 Mar; C8's ended 20 Mar completed; C10's ended 25 Mar withdrawn.
    assert counts(of_a(world, measures.treatment_completion)) == {"started": 1, "ended": 2, "completed": 1}


ALL = [
    measures.referrals_per_month,
    measures.referrals_by_source,
    measures.decisions,
    measures.time_to_decision,
    measures.time_to_first_contact,
    measures.open_caseload_by_risk,
    measures.red_flags,
    measures.orders,
    measures.vcop_on_time,
    measures.interventions,
    measures.closures_by_reason,
    measures.risk_transitions,
    measures.incidents_per_month,
    measures.re_referrals,
    measures.treatment_completion,
    measures.time_to_decision_bands,
    measures.victim_reported_change,
]


def _all_empty(result: Any) -> None:
    if isinstance(result, tuple):
        assert all(row.count == 0 for row in result)
    elif isinstance(result, Days):
        assert result == Days(n=0, median=None, p90=None)
    elif isinstance(result, RiskTransitions):
        assert result == RiskTransitions(0, (), 0, 0, 0, 0)
    elif isinstance(result, VictimChange):
        assert result == VictimChange(0, ScaleChange(None, 0, 0, 0), ScaleChange(None, 0, 0, 0))
    elif isinstance(result, IncidentRates):
        assert result == IncidentRates((), None, None)
    else:
        assert result == ReReferrals(0, 0)


@pytest.mark.parametrize("function", ALL, ids=lambda f: f.__name__)
def test_a_unit_with_no_data_has_zeros(world: World, function: Any) -> None:
    _all_empty(function(unit_ids=[world.unit_c.pk], period=MARCH))


@pytest.mark.parametrize("function", ALL, ids=lambda f: f.__name__)
def test_a_period_with_nothing_in_it(world: World, function: Any) -> None:
    _all_empty(of_a(world, function, NOTHING_HAPPENED))


def test_unit_b_is_counted_for_unit_b(world: World) -> None:
    """Unit B has one of everything in March, so every figure of unit A above would be off by
    it if B leaked in; here B's own figures are counted for B, and added when both are asked."""
    b = [world.unit_b.pk]
    assert counts(measures.closures_by_reason(unit_ids=b, period=MARCH))["risk_reduced"] == 1
    assert counts(measures.orders(unit_ids=b, period=MARCH)) == {"applied": 1, "granted": 1, "breached": 1}
    both = measures.decisions(unit_ids=[world.unit_a.pk, *b], period=MARCH)
    assert counts(both)["accepted"] == 4
    assert measures.re_referrals(unit_ids=b, period=MARCH) == ReReferrals(closed=1, re_referred=0)


@pytest.mark.parametrize("function", ALL, ids=lambda f: f.__name__)
def test_query_budget(world: World, function: Any, django_assert_max_num_queries: Any) -> None:
    with django_assert_max_num_queries(2):
        function(unit_ids=[world.unit_a.pk, world.unit_b.pk], period=MARCH)
