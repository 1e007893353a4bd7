"""The dashboard's period: two dates; an empty or reversed period is refused with what to enter."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from masip.core.forms import NativeDateInput
from masip.reports.period import Period

DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


def default_period(today: date | None = None) -> Period:
    """The last twelve months, to today."""
    today = today or timezone.localdate()
    return Period(today - timedelta(days=364), today)


class PeriodForm(forms.Form):
    start = forms.DateField(
        label="From",
        input_formats=DATE_FORMATS,
        widget=NativeDateInput(),
        error_messages={"required": "Enter the first day of the period.", "invalid": "Enter a real date."},
    )
    end = forms.DateField(
        label="To",
        input_formats=DATE_FORMATS,
        widget=NativeDateInput(),
        error_messages={"required": "Enter the last day of the period.", "invalid": "Enter a real date."},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "start" in data and "end" in data:
            try:
                data["period"] = Period.of(data["start"], data["end"])
            except ValidationError as error:
                self.add_error("end", error)
        return data
