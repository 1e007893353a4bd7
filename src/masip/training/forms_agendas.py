"""Forms of the agenda pages: a new agenda, one edit by button, a new order."""

from __future__ import annotations

from typing import Any

from django import forms

from masip.accounts.models import Unit
from masip.training.models import AudienceType, SessionFormat
from masip.training.selectors import trainers_of


class AgendaForm(forms.Form):
    title = forms.CharField(max_length=200, error_messages={"required": "Enter a title for the agenda."})
    format = forms.ChoiceField(
        choices=SessionFormat.choices,
        widget=forms.RadioSelect,
        initial=SessionFormat.HALF_DAY,
        error_messages={"required": "Choose a half day or a full day."},
    )
    trainers: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Trainers who will deliver it",
        help_text="Only topics one of them can present are proposed. Choose none to allow every trainer's topics.",
    )

    def __init__(self, *args: Any, unit: Unit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["trainers"].queryset = trainers_of(unit)  # type: ignore[attr-defined]
        self.fields["trainers"].label_from_instance = lambda user: user.full_name or user.get_username()  # type: ignore[attr-defined]
        for value, label in AudienceType.choices:
            self.fields[f"count_{value}"] = forms.IntegerField(
                label=label,
                min_value=0,
                max_value=1000,
                initial=0,
                required=False,
                error_messages={
                    "invalid": f"Enter how many {label.lower()} as a whole number.",
                    "min_value": "A number of people cannot be below 0.",
                    "max_value": "Enter 1000 people at most.",
                },
                widget=forms.NumberInput(attrs={"class": "govuk-input--width-4"}),
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not any((data.get(f"count_{value}") or 0) > 0 for value in AudienceType.values):
            self.add_error(f"count_{AudienceType.values[0]}", "Enter how many people of at least one type will attend.")
        return data

    def audience(self) -> dict[str, int]:
        return {value: self.cleaned_data.get(f"count_{value}") or 0 for value in AudienceType.values}

    def count_fields(self) -> list[Any]:
        return [self[f"count_{value}"] for value in AudienceType.values]


class EditForm(forms.Form):
    action = forms.ChoiceField(
        choices=[(a, a) for a in ("up", "down", "remove", "minutes", "add_topic", "add_break", "copy")]
    )
    version = forms.IntegerField()
    item = forms.IntegerField(required=False)
    minutes = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=600,
        error_messages={"invalid": "Enter the minutes as a whole number."},
    )
    topic = forms.IntegerField(required=False)


class ReorderForm(forms.Form):
    version = forms.IntegerField()
    order = forms.CharField(max_length=2000)

    def clean_order(self) -> list[int]:
        try:
            return [int(part) for part in self.cleaned_data["order"].split(",") if part.strip()]
        except ValueError as error:
            raise forms.ValidationError("The new order was not understood: reload the page and try again.") from error
