"""Rates with confidence intervals, and the middle and the tail of durations (issue 9).

- A proportion's interval is Wilson's score interval (Wilson 1927), which stays inside 0..1
  and behaves at 0/n and n/n, where the textbook (Wald) interval collapses to a point.
- Two units' rates are compared by the difference of proportions with Newcombe's hybrid
  score interval (Newcombe 1998, method 10), built from the two Wilson intervals.
- Quantiles use linear interpolation between the closest ranks, counting the smallest value
  as the 0th and the largest as the 100th percentile: the same as
  `statistics.quantiles(method="inclusive")`, numpy's default and Excel's PERCENTILE.INC.
  It never reports a value smaller than the smallest or larger than the largest observed.
- Nothing is computed from no data: each function returns None where n is 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

Z_95 = NormalDist().inv_cdf(0.975)  # 1.959963984540054


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float


def z_for(confidence: float) -> float:
    """The two-sided normal quantile for a confidence level such as 0.9 or 0.99."""
    if not 0 < confidence < 1:
        raise ValueError("A confidence level is between 0 and 1, e.g. 0.95.")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson(successes: int, n: int, *, z: float = Z_95) -> Interval | None:
    """The proportion successes/n with its Wilson score interval; None when n is 0."""
    if n == 0:
        return None
    if n < 0 or not 0 <= successes <= n:
        raise ValueError(f"A proportion needs 0 <= successes <= n, not {successes}/{n}.")
    p = successes / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    # At 0/n and n/n the bound is exactly 0 or 1; rounding must not leave it a hair off.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return Interval(p, low, high)


def difference(successes_a: int, n_a: int, successes_b: int, n_b: int, *, z: float = Z_95) -> Interval | None:
    """p_a - p_b with Newcombe's hybrid score interval; None when either n is 0.

    An interval that does not contain 0 says the two rates differ at that confidence.
    """
    a = wilson(successes_a, n_a, z=z)
    b = wilson(successes_b, n_b, z=z)
    if a is None or b is None:
        return None
    d = a.estimate - b.estimate
    low = d - math.sqrt((a.estimate - a.low) ** 2 + (b.high - b.estimate) ** 2)
    high = d + math.sqrt((a.high - a.estimate) ** 2 + (b.estimate - b.low) ** 2)
    return Interval(d, low, high)


def quantile(values: Sequence[float], q: float) -> float | None:
    """The q-quantile (0 <= q <= 1) by linear interpolation, inclusive; None for no values."""
    if not 0 <= q <= 1:
        raise ValueError("A quantile is between 0 and 1, e.g. 0.9 for the 90th percentile.")
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    fraction = position - below
    return ordered[below] + (ordered[above] - ordered[below]) * fraction


def median(values: Sequence[float]) -> float | None:
    return quantile(values, 0.5)


def percentile_90(values: Sequence[float]) -> float | None:
    return quantile(values, 0.9)
