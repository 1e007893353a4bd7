"""The form a system administrator fills in to issue an API token."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.db.models import QuerySet

from masip.accounts.models import Agency, Unit
from masip.api.services import SERVICE_ACCOUNT_ROLES, TOKEN_LIFETIMES_DAYS


class ApiTokenForm(forms.Form):
    system_name = forms.CharField(
        label="Name of the system",
        help_text="The system that will use the token, as people will recognise it, e.g. “Force referral gateway”.",
        max_length=200,
        error_messages={"required": "Enter the name of the system that will use the token."},
    )
    unit = forms.ModelChoiceField(
        label="Unit",
        queryset=Unit.objects.none(),
        empty_label=None,
        error_messages={"required": "Choose the unit.", "invalid_choice": "Choose one of your units."},
    )
    agency = forms.ModelChoiceField(
        label="Agency of the system",
        help_text=(
            "The agency whose referrals the system sends, e.g. the police force running the gateway. "
            "Leave blank for the unit's lead agency."
        ),
        queryset=Agency.objects.order_by("name"),
        required=False,
        empty_label="The unit's lead agency",
        error_messages={"invalid_choice": "Choose one of the agencies listed."},
    )
    role = forms.ChoiceField(
        label="Role of the system in the unit",
        help_text="The system sees and does only what this role allows, like a person holding it.",
        choices=[(role.value, role.label) for role in SERVICE_ACCOUNT_ROLES],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the system's role.", "invalid_choice": "Choose one of the roles listed."},
    )
    lifetime_days = forms.TypedChoiceField(
        label="Token lasts for",
        choices=[(days, f"{days} days") for days in TOKEN_LIFETIMES_DAYS],
        coerce=int,
        initial=90,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how long the token lasts.", "invalid_choice": "Choose one of the options."},
    )

    def __init__(self, *args: Any, units: QuerySet[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit_field = self.fields["unit"]
        assert isinstance(unit_field, forms.ModelChoiceField)  # noqa: S101 - narrows the type for mypy
        unit_field.queryset = units

    @property
    def lifetime(self) -> timedelta:
        return timedelta(days=self.cleaned_data["lifetime_days"])
