"""The quarterly report's quarter: a year and a calendar quarter; a quarter that has not started
is refused with the latest one that may be asked for, the current one is reported to date."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from masip.reports.quarterly import MONTHS, Quarter

QUARTER_CHOICES = [(str(number), f"Q{number}: {months}") for number, months in MONTHS.items()]
FIRST_YEAR = 2000


class QuarterForm(forms.Form):
    year = forms.IntegerField(
        label="Year",
        min_value=FIRST_YEAR,
        max_value=9999,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "govuk-input--width-4"}),
        error_messages={
            "required": "Enter the year, for example 2025.",
            "invalid": "Enter the year as four digits, for example 2025.",
            "min_value": f"Enter a year from {FIRST_YEAR}.",
            "max_value": "Enter the year as four digits, for example 2025.",
        },
    )
    quarter = forms.TypedChoiceField(
        label="Quarter",
        choices=QUARTER_CHOICES,
        coerce=int,
        error_messages={
            "required": "Choose the quarter.",
            "invalid_choice": "Choose a quarter from Q1 (January to March) to Q4 (October to December).",
        },
    )

    def __init__(self, *args: Any, today: date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()

    @classmethod
    def initial_for(cls, today: date | None = None) -> dict[str, int]:
        """The last whole quarter before today's."""
        previous = Quarter.of(today or timezone.localdate()).previous
        return {"year": previous.year, "quarter": previous.number}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "year" in data and "quarter" in data:
            quarter = Quarter(data["year"], data["quarter"])
            try:
                quarter.period(self.today)
            except ValidationError as error:
                self.add_error("quarter", error)
            else:
                data["chosen"] = quarter
        return data
