"""The form of the unit's triage-deadline settings. The rules are the service's; this parses."""

from __future__ import annotations

from django import forms

from masip.referrals.deadline_services import MAX_DAYS, MIN_DAYS


def _days_field(label: str, help_text: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        help_text=help_text,
        min_value=MIN_DAYS,
        max_value=MAX_DAYS,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "govuk-input--width-3"}),
        error_messages={
            "required": f"{label}: enter a number of working days.",
            "invalid": f"{label}: enter a whole number of working days, like 5.",
            "min_value": f"{label}: enter at least {MIN_DAYS} working day.",
            "max_value": f"{label}: enter at most {MAX_DAYS} working days.",
        },
    )


class TriageDeadlinesForm(forms.Form):
    immediate_days = _days_field("Immediate", "Working days for a decision on an immediate referral.")
    urgent_days = _days_field("Urgent", "At least as many as for immediate referrals.")
    routine_days = _days_field("Routine", "At least as many as for urgent referrals.")
