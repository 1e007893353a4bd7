"""Forms for victim safety and support: they parse input; the services decide what is allowed."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from masip.interventions.models_safety import (
    MeasureOccasion,
    SafeChannel,
    SafetyActionKind,
    SafetyActionStatus,
    SupportNeed,
    SupportReferralKind,
)

DATE_FORMATS = ["%d/%m/%Y", "%d/%m/%y", "%Y-%m-%d", "%d %m %Y"]
DATE_INPUT = forms.TextInput(attrs={"class": "govuk-input--width-10", "inputmode": "numeric"})


def date_field(label: str, what: str, **kwargs: Any) -> forms.DateField:
    return forms.DateField(
        label=label,
        help_text="For example, 27/03/2026",
        input_formats=DATE_FORMATS,
        widget=DATE_INPUT,
        error_messages={
            "required": f"Enter {what}.",
            "invalid": f"Enter {what} as day/month/year, for example 27/03/2026.",
        },
        **kwargs,
    )


class SafetyPlanForm(forms.Form):
    based_on = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    risks = forms.CharField(
        label="Risks this plan addresses",
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=10000,
        error_messages={"required": "Enter the risks this plan addresses."},
    )
    review_on = date_field("Review date", "the date the plan will be reviewed")


class SafetyActionForm(forms.Form):
    """One action row. A row left entirely blank is ignored."""

    kind = forms.ChoiceField(
        label="Kind of action", choices=[("", "Choose"), *SafetyActionKind.choices], required=False
    )
    description = forms.CharField(
        label="What will be done",
        help_text="Do not write where the victim lives or is staying.",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        required=False,
    )
    owner = forms.ChoiceField(label="Owner", required=False)
    due_on = date_field("Due date", "the date the action is due", required=False)
    status = forms.ChoiceField(label="Status", choices=SafetyActionStatus.choices, initial=SafetyActionStatus.OPEN)

    def __init__(self, *args: Any, team: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.team = {str(user.pk): user for user in team}
        owner = cast(forms.ChoiceField, self.fields["owner"])
        owner.choices = [
            ("", "Choose"),
            *((pk, u.get_full_name() or u.email) for pk, u in self.team.items()),
        ]

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not any(data.get(name) for name in ("kind", "description", "owner", "due_on"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.is_blank():
            return data
        for name, message in (
            ("kind", "Choose the kind of action."),
            ("description", "Describe what will be done."),
            ("owner", "Choose who owns this action."),
            ("due_on", "Enter the date the action is due."),
        ):
            if not data.get(name) and name not in self.errors:
                self.add_error(name, message)
        return data

    def owner_user(self) -> Any:
        return self.team.get(self.cleaned_data.get("owner") or "")


SafetyActionFormSet = forms.formset_factory(SafetyActionForm, extra=2)


class SafeContactForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    safe_channels = forms.MultipleChoiceField(
        label="Safe ways to contact the victim",
        choices=SafeChannel.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Any channel not ticked is treated as unsafe.",
    )
    safe_times = forms.CharField(label="Safe times", max_length=500, required=False)
    no_voicemail = forms.BooleanField(label="Do not leave voicemail", required=False)
    safe_word = forms.CharField(label="Safe word", max_length=200, required=False)
    trusted_third_party = forms.CharField(
        label="Trusted third party",
        help_text="Name and how to reach them.",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=1000,
        required=False,
    )


class AdvocacyContactForm(forms.Form):
    contact_on = date_field("Date of contact", "the date of the contact")
    channel = forms.ChoiceField(
        label="How",
        choices=SafeChannel.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how the contact was made."},
    )
    summary = forms.CharField(
        label="Summary",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=10000,
        error_messages={"required": "Enter a summary of the contact."},
    )


class NeedsAssessmentForm(forms.Form):
    assessed_on = date_field("Date assessed", "the date of the assessment")
    needs = forms.MultipleChoiceField(
        label="Needs",
        choices=SupportNeed.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one need."},
    )
    notes = forms.CharField(label="Notes", widget=forms.Textarea(attrs={"rows": 3}), max_length=10000, required=False)


class SupportReferralForm(forms.Form):
    kind = forms.ChoiceField(
        label="Kind of support",
        choices=SupportReferralKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the kind of support."},
    )
    to_whom = forms.CharField(
        label="Referred to", max_length=500, error_messages={"required": "Enter who the victim was referred to."}
    )
    referred_on = date_field("Date referred", "the date of the referral")
    outcome = forms.CharField(
        label="Outcome", widget=forms.Textarea(attrs={"rows": 2}), max_length=5000, required=False
    )


def _scale(label: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        help_text="A whole number from 0 to 10.",
        min_value=0,
        max_value=10,
        widget=forms.NumberInput(attrs={"class": "govuk-input--width-2", "inputmode": "numeric"}),
        error_messages={
            "required": f"Enter the {label.lower()} score, from 0 to 10.",
            "invalid": f"Enter the {label.lower()} score as a whole number from 0 to 10.",
            "min_value": f"Enter a {label.lower()} score from 0 to 10.",
            "max_value": f"Enter a {label.lower()} score from 0 to 10.",
        },
    )


class VictimMeasureForm(forms.Form):
    occasion = forms.ChoiceField(
        label="Occasion",
        choices=MeasureOccasion.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose intake, review or closure."},
    )
    measured_on = date_field("Date", "the date the victim answered")
    safety = _scale("Feeling of safety")
    wellbeing = _scale("Wellbeing")
    daily_impact = _scale("Impact on daily life")
