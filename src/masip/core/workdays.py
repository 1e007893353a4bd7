"""Working days in England and Wales: Monday to Friday, less the bank holidays.

Wales shares England's bank holidays, so the `holidays` package's ENG subdivision serves both.
Deadlines measured in working days (triage decisions) count from the day after the start.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def add_working_days(start: date, days: int) -> date:
    """The date `days` working days after `start` (before it when negative).

    `start` itself never counts, so a referral received on a Friday with one working day
    allowed is due the next Monday (or Tuesday after a bank-holiday Monday). Zero days gives
    `start` back unchanged.
    """
    step = 1 if days >= 0 else -1
    remaining = abs(days)
    day = start
    while remaining:
        day += timedelta(days=step)
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days in (start, end]: the inverse of `add_working_days`, negative when end < start."""
    if end < start:
        return -working_days_between(end, start)
    count = 0
    day = start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count
