from datetime import date

import pytest

from masip.core.workdays import add_working_days, is_working_day, working_days_between


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(2026, 11, 16), 1, date(2026, 11, 17)),  # Monday to Tuesday
        (date(2026, 11, 20), 1, date(2026, 11, 23)),  # Friday to Monday over the weekend
        (date(2026, 11, 21), 1, date(2026, 11, 23)),  # from a Saturday
        (date(2026, 11, 16), 5, date(2026, 11, 23)),  # a working week
        (date(2026, 11, 16), 0, date(2026, 11, 16)),
        # Spring bank holiday is Monday 25 May 2026.
        (date(2026, 5, 22), 1, date(2026, 5, 26)),
        (date(2026, 5, 22), 2, date(2026, 5, 27)),
        # Christmas 2026: Friday 25th, Boxing Day on a Saturday is observed on Monday 28th.
        (date(2026, 12, 23), 1, date(2026, 12, 24)),
        (date(2026, 12, 23), 2, date(2026, 12, 29)),
        (date(2026, 12, 24), 5, date(2027, 1, 5)),  # 29, 30, 31, (1 Jan holiday), 4, 5
        # Easter 2027: Good Friday 26 March, Easter Monday 29 March.
        (date(2027, 3, 25), 1, date(2027, 3, 30)),
        (date(2026, 11, 23), -1, date(2026, 11, 20)),
    ],
)
def test_add_working_days(start: date, days: int, expected: date) -> None:
    assert add_working_days(start, days) == expected


def test_bank_holidays_are_not_working_days() -> None:
    assert not is_working_day(date(2026, 12, 28))  # Boxing Day observed
    assert not is_working_day(date(2026, 8, 31))  # late summer bank holiday
    assert is_working_day(date(2026, 12, 29))
    # St Andrew's Day is a Scottish bank holiday only.
    assert is_working_day(date(2026, 11, 30))


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2026, 12, 23), date(2026, 12, 29), 2),
        (date(2026, 5, 22), date(2026, 5, 26), 1),
        (date(2026, 11, 16), date(2026, 11, 16), 0),
        (date(2026, 11, 23), date(2026, 11, 20), -1),
    ],
)
def test_working_days_between(start: date, end: date, expected: int) -> None:
    assert working_days_between(start, end) == expected


def test_between_inverts_add() -> None:
    start = date(2026, 12, 18)
    for days in range(15):
        assert working_days_between(start, add_working_days(start, days)) == days
