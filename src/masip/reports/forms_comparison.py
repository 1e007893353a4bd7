"""The comparison's choice: which of the reader's units, over which period (PeriodForm's rules)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms

from masip.accounts.models import Unit
from masip.reports.forms import PeriodForm


class ComparisonForm(PeriodForm):
    units = forms.MultipleChoiceField(
        label="Units to compare",
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Tick at least one unit to compare.",
            "invalid_choice": "Tick only units listed here.",
        },
    )

    field_order = ["units", "start", "end"]

    def __init__(self, *args: Any, units: Sequence[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._units = {str(unit.pk): unit for unit in units}
        units_field = self.fields["units"]
        assert isinstance(units_field, forms.MultipleChoiceField)  # noqa: S101 - declared above
        units_field.choices = [(key, unit.name) for key, unit in self._units.items()]

    def chosen_units(self) -> list[Unit]:
        """The ticked units, in the order they are listed."""
        ticked = set(self.cleaned_data["units"])
        return [unit for key, unit in self._units.items() if key in ticked]
