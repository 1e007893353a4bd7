"""The audit viewer's filter form (GET): bad input becomes an error on the page, never a 500."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms

from masip.audit.models import AuditAction
from masip.audit.selectors import AuditFilters

# Outside these years a date is a typing slip; the bounds also keep date arithmetic in range.
EARLIEST = date(2000, 1, 1)
LATEST = date(2999, 12, 31)
DATE_HELP = "For example, 27/3/2026. Days run midnight to midnight, UK time."


class AuditFilterForm(forms.Form):
    person = forms.UUIDField(
        required=False,
        label="Person ID",
        help_text="The ID of a person record, as in the address of their page.",
        error_messages={"invalid": "Enter a person ID like 4f1c2b9e-8c1d-4a55-9a3e-2d7f0c1b6e21, or leave it empty."},
    )
    case = forms.CharField(
        required=False,
        max_length=64,
        label="Case",
        help_text="A case reference, like CHS-00042, or a case ID.",
    )
    user = forms.EmailField(
        required=False,
        label="User's email address",
        error_messages={"invalid": "Enter the user's email address, like name@example.org, or leave it empty."},
    )
    action = forms.ChoiceField(
        required=False,
        label="Action",
        choices=[("", "Any action"), *AuditAction.choices],
        error_messages={"invalid_choice": "Choose an action from the list."},
    )
    date_from = forms.DateField(
        required=False,
        label="From date",
        help_text=DATE_HELP,
        error_messages={"invalid": "Enter the from date as a real date, for example 27/3/2026."},
    )
    date_to = forms.DateField(
        required=False,
        label="To date",
        help_text=DATE_HELP,
        error_messages={"invalid": "Enter the to date as a real date, for example 27/3/2026."},
    )

    def _clean_date(self, name: str, label: str) -> date | None:
        value: date | None = self.cleaned_data.get(name)
        if value is not None and not EARLIEST <= value <= LATEST:
            raise forms.ValidationError(f"Enter a {label} between 2000 and 2999.")
        return value

    def clean_date_from(self) -> date | None:
        return self._clean_date("date_from", "from date")

    def clean_date_to(self) -> date | None:
        return self._clean_date("date_to", "to date")

    def clean_case(self) -> str:
        return str(self.cleaned_data.get("case") or "").strip()

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The to date must be the same as or after the from date.")
        return cleaned

    def filters(self) -> AuditFilters:
        """The cleaned filters; call only when the form is valid."""
        data = self.cleaned_data
        return AuditFilters(
            person_id=data.get("person"),
            case=data.get("case") or "",
            user_email=(data.get("user") or "").strip().lower(),
            action=data.get("action") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )
