"""Forms of tasks and of the unit's task rules. The rules are the services'; these parse."""

from __future__ import annotations

from typing import Any

from django import forms

from masip.core.forms import NativeDateInput
from masip.work.rules import LABELS, REVIEW_DAYS_RANGE, WORKING_DAYS_RANGE
from masip.work.services import DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH

NOBODY = ""


class TaskForm(forms.Form):
    title = forms.CharField(
        label="What needs doing",
        max_length=TITLE_MAX_LENGTH,
        error_messages={
            "required": "Enter what needs doing.",
            "max_length": f"The title can be at most {TITLE_MAX_LENGTH} characters. Put the rest in the details.",
        },
    )
    description = forms.CharField(
        label="Details",
        required=False,
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Readable by everyone who can see this case's tasks.",
        error_messages={"max_length": f"The details can be at most {DESCRIPTION_MAX_LENGTH} characters."},
    )
    owner = forms.TypedChoiceField(
        label="Owner",
        coerce=int,
        empty_value=None,
        required=False,
        help_text="Someone on the case team.",
        error_messages={"invalid_choice": "Choose someone on the case team as the owner."},
    )
    due_date = forms.DateField(
        label="Due date",
        help_text="For example, 27 3 2026 or 2026-03-27.",
        input_formats=["%Y-%m-%d", "%d/%m/%Y", "%d %m %Y", "%d-%m-%Y"],
        widget=NativeDateInput(attrs={"class": "govuk-input--width-10"}),
        error_messages={"required": "Enter the due date.", "invalid": "Enter the due date as a real date."},
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, owners: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [(NOBODY, "Nobody yet"), *owners]  # type: ignore[attr-defined]


class VersionForm(forms.Form):
    """Completing or cancelling: only the version the person saw."""

    version = forms.IntegerField(
        widget=forms.HiddenInput, error_messages={"required": "Reload the task and try again."}
    )


def _days_field(name: str, low: int, high: int, word: str, help_text: str) -> forms.IntegerField:
    label = LABELS[name]
    return forms.IntegerField(
        label=label,
        help_text=help_text,
        min_value=low,
        max_value=high,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "govuk-input--width-3"}),
        error_messages={
            "required": f"{label}: enter a number of {word}.",
            "invalid": f"{label}: enter a whole number of {word}, like 7.",
            "min_value": f"{label}: enter at least {low}.",
            "max_value": f"{label}: enter at most {high} {word}.",
        },
    )


class WorkRulesForm(forms.Form):
    high_review_days = _days_field("high_review_days", *REVIEW_DAYS_RANGE, "days", "Days between reviews (7: weekly).")
    moderate_review_days = _days_field(
        "moderate_review_days", *REVIEW_DAYS_RANGE, "days", "Days between reviews (30: monthly)."
    )
    low_review_days = _days_field(
        "low_review_days", *REVIEW_DAYS_RANGE, "days", "Days between reviews (91: quarterly)."
    )
    not_assessed_review_working_days = _days_field(
        "not_assessed_review_working_days",
        *WORKING_DAYS_RANGE,
        "working days",
        "Working days until the first review of a case whose risk is not yet assessed.",
    )
    first_contact_working_days = _days_field(
        "first_contact_working_days",
        *WORKING_DAYS_RANGE,
        "working days",
        "Working days after a referral is accepted.",
    )
    reassess_high_days = _days_field(
        "reassess_high_days", *REVIEW_DAYS_RANGE, "days", "Days after the last risk assessment (28: four weeks)."
    )
    reassess_moderate_days = _days_field(
        "reassess_moderate_days", *REVIEW_DAYS_RANGE, "days", "Days after the last risk assessment (90: quarterly)."
    )
    reassess_low_days = _days_field(
        "reassess_low_days", *REVIEW_DAYS_RANGE, "days", "Days after the last risk assessment (180: six-monthly)."
    )
