"""Escalation analytics: incidents per week (ranges spread over their days), the weeks where the
rate changed (penalised Poisson cost, PELT), the mix of behaviours by month and the closest
contact reached each week. Pure functions over PatternEntry: no database needed."""

from __future__ import annotations

import itertools
import math
import random
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from masip.timeline.analytics import (
    EntryBehaviour,
    PatternEntry,
    _segment_cost,
    behaviour_groups,
    behaviour_mix,
    change_points,
    escalation_for,
    weekly_incidents,
    weekly_proximity,
)
from masip.timeline.taxonomy import taxonomy

MONDAY = date(2026, 3, 2)


def _entry(day: date, *codes: str, until: date | None = None, incidents: int = 1) -> PatternEntry:
    known = taxonomy()
    behaviours = []
    for code in codes:
        found = known.get(code)
        assert found is not None
        behaviours.append(EntryBehaviour(found.code, found.label, found.group, found.proximity))
    return PatternEntry(
        id=f"{day}-{codes}",
        start=day,
        end=until or day,
        incidents=incidents,
        behaviours=tuple(behaviours),
        reported_by="The victim",
        compartment="team",
    )


def _poisson(rng: random.Random, rate: float) -> int:
    """Knuth's method: enough for the small rates here."""
    limit, k, p = math.exp(-rate), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


# --- change points --------------------------------------------------------------------------------


def test_a_flat_series_has_no_change_point():
    assert change_points([3] * 52) == []
    assert change_points([0] * 30) == []
    assert change_points([]) == []
    assert change_points([5]) == []


def test_a_step_from_one_a_week_to_eight_a_week_is_found_at_the_first_week_of_the_new_rate():
    assert change_points([1] * 20 + [8] * 20) == [20]
    assert change_points([1] * 12 + [8] * 5) == [12]


def test_a_rise_and_a_fall_are_both_found():
    assert change_points([1] * 10 + [8] * 10 + [1] * 10) == [10, 20]


@pytest.mark.parametrize("seed", range(10))
def test_a_noisy_step_is_found_within_a_week_or_two(seed):
    rng = random.Random(seed)
    series = [_poisson(rng, 1) for _ in range(20)] + [_poisson(rng, 8) for _ in range(20)]
    found = change_points(series)
    assert len(found) == 1
    assert abs(found[0] - 20) <= 2


def test_noise_around_one_rate_does_not_create_change_points():
    found = []
    for seed in range(40):
        rng = random.Random(seed)
        found.append(len(change_points([_poisson(rng, 3) for _ in range(200)])))
    assert sum(found) <= 2  # at most a rare false alarm across 40 series of four years


def test_bursty_weeks_do_not_each_become_a_change_point():
    rng = random.Random(7)
    # Overdispersed: most weeks a few messages, some weeks a flurry, the same underlying pattern.
    series = [rng.choice([0, 1, 2, 3, 4, 12]) for _ in range(120)]
    assert len(change_points(series)) <= 1


def _optimal(counts: list[float], penalty: float, min_segment: int) -> float:
    """The best penalised cost by plain optimal partitioning (no pruning), to check PELT against."""
    n = len(counts)
    best = [math.inf] * (n + 1)
    best[0] = -penalty
    for t in range(min_segment, n + 1):
        for s in range(t - min_segment + 1):
            if best[s] < math.inf:
                cost = _segment_cost(sum(counts[s:t]), t - s)
                best[t] = min(best[t], best[s] + cost + penalty)
    return best[n]


@settings(max_examples=150, deadline=None)
@given(
    counts=st.lists(st.integers(min_value=0, max_value=15), min_size=4, max_size=40),
    penalty=st.floats(min_value=0.5, max_value=20),
)
def test_pelt_finds_the_optimal_segmentation(counts, penalty):
    cuts = change_points(counts, penalty=penalty, min_segment=2)
    bounds = [0, *cuts, len(counts)]
    assert all(b - a >= 2 for a, b in itertools.pairwise(bounds))
    total = sum(_segment_cost(sum(counts[a:b]), b - a) for a, b in itertools.pairwise(bounds))
    total += penalty * len(cuts)
    assert total == pytest.approx(_optimal(counts, penalty, 2), abs=1e-6)


# --- incidents per week ---------------------------------------------------------------------------------


def test_weekly_incidents_count_each_entrys_incidents_and_fill_quiet_weeks():
    entries = [
        _entry(MONDAY, "comm_text", incidents=5),
        _entry(MONDAY + timedelta(days=3), "comm_phone", incidents=2),
        _entry(MONDAY + timedelta(weeks=2), "loitering"),
    ]
    assert weekly_incidents(entries) == [
        (MONDAY, 7.0),
        (MONDAY + timedelta(weeks=1), 0.0),
        (MONDAY + timedelta(weeks=2), 1.0),
    ]


def test_a_range_is_spread_evenly_over_its_days():
    # 14 incidents over Monday 2 March to Sunday 15 March: 7 a week.
    two_weeks = _entry(MONDAY, "comm_text", until=MONDAY + timedelta(days=13), incidents=14)
    assert weekly_incidents([two_weeks]) == [(MONDAY, 7.0), (MONDAY + timedelta(weeks=1), 7.0)]
    # 10 incidents over Saturday to Wednesday (5 days): 2 in the first week, 3 in the next.
    saturday = MONDAY + timedelta(days=5)
    across = _entry(saturday, "comm_text", until=saturday + timedelta(days=4), incidents=10)
    assert weekly_incidents([across]) == [(MONDAY, 4.0), (MONDAY + timedelta(weeks=1), 6.0)]


def test_escalation_marks_the_change_point_week_and_each_segments_rate():
    entries = [_entry(MONDAY + timedelta(weeks=w), "comm_text") for w in range(10)]
    entries += [_entry(MONDAY + timedelta(weeks=w), "turning_up_home", incidents=8) for w in range(10, 16)]
    escalation = escalation_for(entries)
    assert [w.start for w in escalation.change_points] == [MONDAY + timedelta(weeks=10)]
    assert [(s.start, s.weeks, s.rate) for s in escalation.segments] == [
        (MONDAY, 10, 1.0),
        (MONDAY + timedelta(weeks=10), 6, 8.0),
    ]
    assert escalation.weeks[0].proximity == 1
    assert escalation.weeks[-1].proximity == 3
    assert escalation_for([]).weeks == []


def test_the_closest_contact_of_a_week_is_the_highest_proximity_of_anything_touching_it():
    entries = [
        _entry(MONDAY, "comm_text"),
        _entry(MONDAY + timedelta(days=2), "loitering"),
        _entry(MONDAY + timedelta(days=6), "breach_order", until=MONDAY + timedelta(days=15)),
        _entry(MONDAY + timedelta(weeks=2), "violence_physical"),
    ]
    assert weekly_proximity(entries) == {
        MONDAY: 2,
        MONDAY + timedelta(weeks=1): 0,
        MONDAY + timedelta(weeks=2): 4,
    }


# --- behaviour mix ----------------------------------------------------------------------------------


def test_behaviour_mix_counts_incidents_per_month_in_each_group_of_an_entry():
    groups = behaviour_groups()
    entries = [
        _entry(date(2026, 1, 10), "comm_text", incidents=6),
        _entry(date(2026, 3, 5), "comm_text", "threat_kill"),  # a threatening message: both groups
        # 31 Jan to 1 Feb, 4 incidents: 2 in January, 2 in February.
        _entry(date(2026, 1, 31), "loitering", until=date(2026, 2, 1), incidents=4),
    ]
    months = behaviour_mix(entries, groups)
    assert [m.month for m in months] == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    assert months[0].by_group["communication"] == 6
    assert months[0].by_group["monitoring"] == 2
    assert months[1].by_group["monitoring"] == 2
    assert months[1].total == 2
    assert months[2].by_group["communication"] == 1
    assert months[2].by_group["threats"] == 1
    assert months[2].by_group["violence"] == 0


def test_groups_are_ordered_closest_contact_first():
    keys = [g.key for g in behaviour_groups()]
    assert keys[0] == "violence"
    assert keys.index("proximity") < keys.index("monitoring") < keys.index("communication")
    assert keys[-1] == "breach"
    assert set(keys) == set(taxonomy().groups)
