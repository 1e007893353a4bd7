"""The mean and its Student's t interval, against values worked by hand."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from masip.training.stats import mean_with_interval


def test_four_changes_against_a_hand_computed_interval():
    # mean 2; s = sqrt(((1-2)² + 0 + 0 + (3-2)²) / 3) = sqrt(2/3) = 0.8165; t(0.975, 3) = 3.1824;
    # half-width = 3.1824 * 0.8165 / 2 = 1.2992
    result = mean_with_interval([1, 2, 2, 3])
    assert result is not None
    assert result.n == 4
    assert result.mean == 2
    assert result.half_width == pytest.approx(1.2992, abs=1e-4)
    assert result.low == pytest.approx(0.7008, abs=1e-4)
    assert result.high == pytest.approx(3.2992, abs=1e-4)


def test_two_changes_use_the_wide_t_of_one_degree_of_freedom():
    # mean 0.5; s = sqrt(0.5) = 0.7071; t(0.975, 1) = 12.7062; half-width = 12.7062 * 0.7071 / √2 = 6.3531
    result = mean_with_interval([0, 1])
    assert result is not None
    assert result.mean == 0.5
    assert result.half_width == pytest.approx(6.3531, abs=1e-4)


def test_one_response_has_a_mean_but_no_interval():
    result = mean_with_interval([2.5])
    assert result is not None
    assert (result.n, result.mean, result.half_width, result.low, result.high) == (1, 2.5, None, None, None)


def test_no_responses_give_nothing():
    assert mean_with_interval([]) is None


def test_identical_changes_give_an_interval_of_no_width():
    result = mean_with_interval([1, 1, 1])
    assert result is not None
    assert result.half_width == 0


@given(st.lists(st.integers(min_value=-4, max_value=4), min_size=2, max_size=60))
def test_the_interval_is_centred_on_the_mean_and_holds_it(changes):
    result = mean_with_interval(changes)
    assert result is not None
    assert result.mean == pytest.approx(sum(changes) / len(changes))
    assert result.low is not None
    assert result.high is not None
    assert result.low <= result.mean <= result.high
    assert math.isclose(result.high - result.mean, result.mean - result.low, abs_tol=1e-9)
