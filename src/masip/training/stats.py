"""Statistics for the training reports: a mean and its 95% interval (Student's t).

The unit of analysis is the respondent: a caller passes one value per person (for a topic, the
mean of that person's changes over the topic's outcomes they rated), so that a topic with many
outcomes does not count one person's view many times over and narrow the interval falsely.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scipy.stats import t as student_t  # type: ignore[import-untyped]  # scipy ships no stubs

CONFIDENCE = 0.95


@dataclass(frozen=True)
class MeanInterval:
    """The mean of `n` values and, when n ≥ 2, the interval mean ± t·s/√n."""

    n: int
    mean: float
    half_width: float | None  # None when there are too few values for an interval

    @property
    def low(self) -> float | None:
        return None if self.half_width is None else self.mean - self.half_width

    @property
    def high(self) -> float | None:
        return None if self.half_width is None else self.mean + self.half_width


def mean_with_interval(values: Sequence[float], *, confidence: float = CONFIDENCE) -> MeanInterval | None:
    """The mean of `values` with its Student's t interval at `confidence` (two-sided).

    None for no values; no interval (half_width None) for one value, since one respondent says
    nothing about how far the mean could move. With every value equal the interval has width 0.
    """
    n = len(values)
    if n == 0:
        return None
    mean = math.fsum(values) / n
    if n == 1:
        return MeanInterval(n=1, mean=mean, half_width=None)
    variance = math.fsum((value - mean) ** 2 for value in values) / (n - 1)
    quantile = float(student_t.ppf(1 - (1 - confidence) / 2, n - 1))
    return MeanInterval(n=n, mean=mean, half_width=quantile * math.sqrt(variance) / math.sqrt(n))
