"""Rates, their intervals and quantiles, against published and hand-computed values."""

from __future__ import annotations

import statistics

import pytest

from masip.reports.stats import Z_95, difference, median, percentile_90, quantile, wilson, z_for


def approx(x: float) -> object:
    return pytest.approx(x, abs=5e-5)


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [
        # Newcombe (1998) Stat Med 17:857, table I, method 3 (score without continuity correction).
        (0, 10, 0.0, 0.2775),
        (5, 10, 0.2366, 0.7634),
        (10, 10, 0.7225, 1.0),
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_matches_published_intervals(successes: int, n: int, low: float, high: float) -> None:
    interval = wilson(successes, n)
    assert interval is not None
    assert interval.estimate == successes / n
    assert interval.low == approx(low)
    assert interval.high == approx(high)


def test_wilson_stays_within_zero_and_one_exactly() -> None:
    none_of_one, all_of_three = wilson(0, 1), wilson(3, 3)
    assert none_of_one is not None
    assert none_of_one.low == 0.0
    assert all_of_three is not None
    assert all_of_three.high == 1.0


def test_wilson_with_no_cases_is_none() -> None:
    assert wilson(0, 0) is None


def test_wilson_takes_another_confidence() -> None:
    # 90%: z = 1.6449; 5/10 -> centre 0.5, half = z/(1+z²/10) * sqrt(0.025 + z²/400)
    # = 1.29464 * 0.178224 = 0.23073.
    assert z_for(0.9) == pytest.approx(1.644854, abs=1e-6)
    assert z_for(0.95) == pytest.approx(Z_95) == pytest.approx(1.959964, abs=1e-6)
    interval = wilson(5, 10, z=z_for(0.9))
    assert interval is not None
    assert interval.low == approx(0.2693)
    assert interval.high == approx(0.7307)
    with pytest.raises(ValueError, match="between 0 and 1"):
        z_for(95)


def test_wilson_refuses_an_impossible_proportion() -> None:
    with pytest.raises(ValueError, match="0 <= successes <= n"):
        wilson(11, 10)


@pytest.mark.parametrize(
    ("a", "n_a", "b", "n_b", "low", "high"),
    [
        # Newcombe (1998) Stat Med 17:873, table II, method 10 (hybrid score).
        (56, 70, 48, 80, 0.0524, 0.3339),
        (9, 10, 3, 10, 0.1705, 0.8090),
        (5, 56, 0, 29, -0.0381, 0.1926),
        (0, 10, 0, 20, -0.1611, 0.2775),
    ],
)
def test_newcombe_difference_matches_published_intervals(
    a: int, n_a: int, b: int, n_b: int, low: float, high: float
) -> None:
    interval = difference(a, n_a, b, n_b)
    assert interval is not None
    assert interval.estimate == pytest.approx(a / n_a - b / n_b)
    assert interval.low == approx(low)
    assert interval.high == approx(high)


def test_difference_is_none_when_a_unit_has_no_cases() -> None:
    assert difference(1, 10, 0, 0) is None
    assert difference(0, 0, 1, 10) is None


def test_difference_is_antisymmetric() -> None:
    ab, ba = difference(56, 70, 48, 80), difference(48, 80, 56, 70)
    assert ab is not None
    assert ba is not None
    assert (ab.estimate, ab.low, ab.high) == pytest.approx((-ba.estimate, -ba.high, -ba.low))


def test_median_of_small_lists() -> None:
    assert median([]) is None
    assert median([7]) == 7
    assert median([3, 1]) == 2
    assert median([5, 1, 3]) == 3
    assert median([4, 1, 3, 2]) == 2.5


def test_ninetieth_percentile_interpolates_between_ranks() -> None:
    # [1..10]: position (10-1)*0.9 = 8.1 -> 9 + 0.1*(10-9) = 9.1.
    assert percentile_90(list(range(1, 11))) == pytest.approx(9.1)
    # [2, 4, 6, 30]: position 2.7 -> 6 + 0.7*(30-6) = 22.8.
    assert percentile_90([30, 2, 6, 4]) == pytest.approx(22.8)
    assert percentile_90([5]) == 5
    assert percentile_90([]) is None


@pytest.mark.parametrize("values", [[1, 2], [3, 9, 27], list(range(1, 11)), [10, 1, 7, 7, 3, 45, 2]])
def test_quantiles_agree_with_the_standard_library_inclusive_method(values: list[int]) -> None:
    deciles = statistics.quantiles(values, n=10, method="inclusive")
    assert percentile_90(values) == pytest.approx(deciles[8])
    assert median(values) == pytest.approx(statistics.median(values))


def test_quantile_ends_are_the_smallest_and_largest() -> None:
    assert quantile([4, 8, 1], 0) == 1
    assert quantile([4, 8, 1], 1) == 8
    with pytest.raises(ValueError, match="between 0 and 1"):
        quantile([1], 90)
