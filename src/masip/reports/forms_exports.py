"""The evaluation export form (period, form of the file, key, recipient, purpose, and for those
allowed, case references instead of pseudonyms) and the export key form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from masip.accounts.models import Unit
from masip.reports.forms import PeriodForm
from masip.reports.models import ExportFormat, ExportKey
from masip.reports.selectors_exports import active_keys_of
from masip.reports.services_exports import IDENTIFIED_REFUSED

IDENTIFIED_REFUSED_CODE = "identified_refused"


class EvaluationExportForm(PeriodForm):
    file_format = forms.ChoiceField(
        label="Form of the cases file",
        choices=ExportFormat.choices,
        widget=forms.RadioSelect,
        initial=ExportFormat.CSV,
        help_text="CSV opens in a spreadsheet; Parquet keeps the column types for data tools.",
        error_messages={"required": "Choose CSV or Parquet.", "invalid_choice": "Choose CSV or Parquet."},
    )
    key = forms.ModelChoiceField(
        label="Export key",
        queryset=ExportKey.objects.none(),
        required=False,
        empty_label="Choose a key",
        help_text="Exports made with the same key give each case the same pseudonym.",
        error_messages={"invalid_choice": "Choose one of the unit's active export keys."},
    )
    recipient = forms.CharField(
        label="Recipient",
        max_length=200,
        help_text="Who receives the file: the person and their organisation.",
        error_messages={
            "required": "Enter who receives the file: the person and their organisation.",
            "max_length": "The recipient must be 200 characters or fewer.",
        },
    )
    purpose = forms.CharField(
        label="Purpose",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text="Why the data is handed over, e.g. the evaluation or study and its approval.",
        error_messages={
            "required": "Enter the purpose of the export: the evaluation or study it is for.",
            "max_length": "The purpose must be 2000 characters or fewer.",
        },
    )
    identified = forms.BooleanField(
        label="Case references instead of pseudonyms",
        required=False,
        help_text="Only for those who may export the unit's case data. The file then identifies cases.",
    )

    def __init__(self, *args: Any, unit: Unit, may_identify: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.unit = unit
        self.may_identify = may_identify
        self.fields["key"].queryset = active_keys_of(unit=unit)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        identified = data.get("identified", False)
        if identified and not self.may_identify:
            raise ValidationError(IDENTIFIED_REFUSED, code=IDENTIFIED_REFUSED_CODE)
        if not identified and not data.get("key") and "key" not in self.errors:
            self.add_error("key", "Choose the export key that makes the pseudonyms.")
        return data

    @property
    def identified_refused(self) -> bool:
        return any(error.code == IDENTIFIED_REFUSED_CODE for error in self.non_field_errors().as_data())


class ExportKeyForm(forms.Form):
    name = forms.CharField(
        label="Name of the new key",
        max_length=120,
        help_text="What the key is for, e.g. the evaluation it serves.",
        error_messages={
            "required": "Enter a name for the key, e.g. the evaluation it serves.",
            "max_length": "The name must be 120 characters or fewer.",
        },
    )

    def __init__(self, *args: Any, unit: Unit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.unit = unit

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if ExportKey.objects.filter(unit=self.unit, name=name).exists():
            raise ValidationError(f"The unit already has a key called “{name}”. Choose another name.")
        return name
