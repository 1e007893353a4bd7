"""The filters of the pattern page (a GET form): behaviour groups and behaviours, a date range, a
compartment. They parse input; what is shown is decided in timeline.analytics."""

from __future__ import annotations

from typing import Any

from django import forms

from masip.referrals.screening_forms import DATE_FORMATS, DATE_HINT, BoundedDateField
from masip.timeline.analytics import Filters, behaviour_groups
from masip.timeline.taxonomy import taxonomy


def _date(label: str) -> forms.DateField:
    return BoundedDateField(
        label=label,
        required=False,
        input_formats=DATE_FORMATS,
        help_text=DATE_HINT,
        widget=forms.DateInput(attrs={"class": "govuk-input--width-10", "inputmode": "numeric"}),
        error_messages={"invalid": f"Enter a real date as day/month/year. {DATE_HINT}."},
    )


class PatternFilterForm(forms.Form):
    group = forms.MultipleChoiceField(
        label="Behaviour groups",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Choose behaviour groups from the list."},
    )
    behaviour = forms.MultipleChoiceField(
        label="Behaviours",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="An entry is shown when it has any behaviour or group you choose.",
        error_messages={"invalid_choice": "Choose behaviours from the list."},
    )
    start = _date("From")
    end = _date("To")
    compartment = forms.ChoiceField(
        label="Compartment",
        required=False,
        error_messages={"invalid_choice": "Choose a compartment from the list."},
    )

    def __init__(self, *args: Any, compartments: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = [(g.key, g.label) for g in behaviour_groups()]  # type: ignore[attr-defined]
        self.fields["behaviour"].choices = [(b.code, b.label) for b in taxonomy().behaviours]  # type: ignore[attr-defined]
        self.fields["compartment"].choices = [("", "Every compartment you may read"), *compartments]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "The 'to' date must be the same as or after the 'from' date.")
        return data

    def filters(self) -> Filters:
        """The filters asked for; those with errors are left out (the page says so)."""
        data = getattr(self, "cleaned_data", {})
        return Filters(
            groups=frozenset(data.get("group") or ()),
            codes=frozenset(data.get("behaviour") or ()),
            start=data.get("start"),
            end=data.get("end"),
            compartment=data.get("compartment") or "",
        )
