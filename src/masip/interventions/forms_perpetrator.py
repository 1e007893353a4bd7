"""Forms of perpetrator interventions. They parse input; the rules live in services_perpetrator."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django import forms

from masip.access.policy import Compartment
from masip.cases.models import CaseParticipant
from masip.core.forms import NativeDateInput
from masip.interventions.models_perpetrator import Attendance, InterventionStatus, PerpetratorIntervention, Suitability
from masip.interventions.services_perpetrator import (
    MAX_FOLLOW_UP_WEEKS,
    MAX_WEEKLY_SESSIONS,
    PROVIDER_MAX_LENGTH,
    TEXT_MAX_LENGTH,
    InterventionDraft,
)

DATE = NativeDateInput()


class VersionField(forms.IntegerField):
    def __init__(self) -> None:
        super().__init__(
            widget=forms.HiddenInput,
            min_value=1,
            error_messages={"required": "Reload the page and make your change again."},
        )


def _participant_choices(participants: Sequence[CaseParticipant]) -> list[tuple[str, str]]:
    return [(str(p.pk), f"{p.person.display_name} ({p.get_role_display()})") for p in participants]


class InterventionForm(forms.Form):
    participant = forms.ChoiceField(
        label="With whom",
        error_messages={"required": "Choose the perpetrator or suspect.", "invalid_choice": "Choose from the list."},
    )
    kind = forms.ChoiceField(
        label="Kind of intervention",
        error_messages={"required": "Choose the kind of intervention.", "invalid_choice": "Choose from the list."},
    )
    compartment = forms.ChoiceField(
        label="Who may read this record",
        required=False,
        help_text="Leave as it is to keep the record where its kind usually goes: clinical work in the "
        "clinical (health) compartment, a warning visit with the police, the rest with the case team.",
    )
    provider = forms.CharField(
        label="Provider",
        required=False,
        max_length=PROVIDER_MAX_LENGTH,
        help_text="The service or agency delivering it.",
        error_messages={"max_length": f"Keep this to {PROVIDER_MAX_LENGTH} characters or fewer."},
    )
    started_on = forms.DateField(
        label="Start date", required=False, widget=DATE, error_messages={"invalid": "Enter a real date."}
    )
    ended_on = forms.DateField(
        label="End date", required=False, widget=DATE, error_messages={"invalid": "Enter a real date."}
    )
    status = forms.ChoiceField(
        label="Status",
        choices=InterventionStatus.choices,
        initial=InterventionStatus.PROPOSED,
        error_messages={"required": "Choose the status.", "invalid_choice": "Choose the status from the list."},
    )
    outcome = forms.CharField(
        label="Outcome",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=TEXT_MAX_LENGTH,
        error_messages={"max_length": f"The outcome can be at most {TEXT_MAX_LENGTH:,} characters."},
    )

    def __init__(
        self,
        *args: Any,
        participants: Sequence[CaseParticipant],
        kinds: Sequence[tuple[str, str]],
        offered: Sequence[Compartment],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["participant"]).choices = [
            ("", "Choose a person"),
            *_participant_choices(participants),
        ]
        cast(forms.ChoiceField, self.fields["kind"]).choices = [("", "Choose a kind"), *kinds]
        cast(forms.ChoiceField, self.fields["compartment"]).choices = [
            ("", "Where its kind usually goes"),
            *((c.value, c.label) for c in offered),
        ]

    def draft(self) -> InterventionDraft:
        data = self.cleaned_data
        return InterventionDraft(
            participant_id=data["participant"],
            kind=data["kind"],
            status=data["status"],
            provider=data["provider"],
            started_on=data["started_on"],
            ended_on=data["ended_on"],
            outcome=data["outcome"],
            compartment=data["compartment"],
        )

    @staticmethod
    def initial_for(intervention: PerpetratorIntervention) -> dict[str, Any]:
        return {
            "participant": str(intervention.participant_id),
            "kind": intervention.kind,
            "compartment": intervention.compartment,
            "provider": intervention.provider,
            "started_on": intervention.started_on,
            "ended_on": intervention.ended_on,
            "status": intervention.status,
            "outcome": intervention.outcome,
            "version": intervention.version,
        }


class InterventionEditForm(InterventionForm):
    version = VersionField()


class ProgrammePlanForm(forms.Form):
    first_on = forms.DateField(
        label="Date of the first session",
        widget=DATE,
        error_messages={"required": "Enter the date of the first session.", "invalid": "Enter a real date."},
    )
    weekly = forms.IntegerField(
        label="Number of weekly sessions",
        initial=8,
        min_value=1,
        max_value=MAX_WEEKLY_SESSIONS,
        error_messages={
            "required": "Enter the number of weekly sessions.",
            "invalid": "Enter a whole number, such as 8.",
            "min_value": "Enter at least 1 session.",
            "max_value": f"Enter at most {MAX_WEEKLY_SESSIONS} sessions.",
        },
    )
    follow_up_weeks = forms.IntegerField(
        label="Follow-up session, weeks after the last weekly session",
        required=False,
        initial=4,
        min_value=1,
        max_value=MAX_FOLLOW_UP_WEEKS,
        help_text="Leave empty for no follow-up session.",
        error_messages={
            "invalid": "Enter a whole number of weeks, such as 4.",
            "min_value": "Enter at least 1 week.",
            "max_value": f"Enter at most {MAX_FOLLOW_UP_WEEKS} weeks.",
        },
    )


class AttendanceForm(forms.Form):
    version = VersionField()
    attendance = forms.ChoiceField(
        label="Attendance",
        choices=Attendance.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether the person attended.", "invalid_choice": "Choose from the list."},
    )
    note = forms.CharField(
        label="Note",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=TEXT_MAX_LENGTH,
        error_messages={"max_length": f"The note can be at most {TEXT_MAX_LENGTH:,} characters."},
    )


class SuitabilityForm(forms.Form):
    participant = forms.ChoiceField(
        label="About whom",
        error_messages={"required": "Choose the perpetrator or suspect.", "invalid_choice": "Choose from the list."},
    )
    decision = forms.ChoiceField(
        label="Decision",
        choices=Suitability.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the decision.", "invalid_choice": "Choose the decision from the list."},
    )
    reasons = forms.CharField(
        label="Reasons",
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=TEXT_MAX_LENGTH,
        error_messages={
            "required": "Enter the reasons for the decision.",
            "max_length": f"The reasons can be at most {TEXT_MAX_LENGTH:,} characters.",
        },
    )
    decided_on = forms.DateField(
        label="Date of the decision",
        required=False,
        widget=DATE,
        help_text="Leave empty for today.",
        error_messages={"invalid": "Enter a real date."},
    )
    review_on = forms.DateField(
        label="Review date",
        required=False,
        widget=DATE,
        help_text="For a deferred decision, when to look at it again.",
        error_messages={"invalid": "Enter a real date."},
    )

    def __init__(self, *args: Any, participants: Sequence[CaseParticipant], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = _participant_choices(participants)
        field = cast(forms.ChoiceField, self.fields["participant"])
        field.choices = choices if len(choices) == 1 else [("", "Choose a person"), *choices]
