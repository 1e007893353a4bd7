"""Forms of the catalogue pages: a topic (with its relevance and priority per audience type and
its trainers), a learning outcome, the unit's training settings."""

from __future__ import annotations

from typing import Any

from django import forms

from masip.accounts.models import Unit
from masip.training.models import AudienceType, Relevance, TopicFormat, TopicKind, TrainingSettings
from masip.training.selectors import trainers_of

MINUTES_HELP = "In minutes, a multiple of 5 from 5 to 360."


def _minutes_field(label: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        min_value=5,
        max_value=360,
        step_size=5,
        help_text=MINUTES_HELP,
        error_messages={
            "required": f"Enter the {label.lower()} in minutes.",
            "invalid": f"Enter the {label.lower()} as a whole number of minutes.",
            "min_value": f"The {label.lower()} must be at least 5 minutes.",
            "max_value": f"The {label.lower()} can be 360 minutes (6 hours) at most.",
            "step_size": f"Give the {label.lower()} in steps of 5 minutes (for example 20, 25 or 30).",
        },
    )


class TopicForm(forms.Form):
    title = forms.CharField(max_length=200, error_messages={"required": "Enter the topic's title."})
    summary = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    kind = forms.ChoiceField(choices=TopicKind.choices, widget=forms.RadioSelect, initial=TopicKind.SELECTABLE)
    format = forms.ChoiceField(choices=TopicFormat.choices, widget=forms.RadioSelect, initial=TopicFormat.PRESENTATION)
    min_minutes = _minutes_field("Shortest time")
    max_minutes = _minutes_field("Longest time")
    sequence = forms.IntegerField(
        min_value=0, max_value=32767, initial=100, help_text="Where it sits on an agenda: lower comes first."
    )
    active = forms.BooleanField(required=False, initial=True, label="Offer this topic (builders may choose it)")
    trainers: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple, label="Trainers able to present it"
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, unit: Unit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["trainers"].queryset = trainers_of(unit)  # type: ignore[attr-defined]
        self.fields["trainers"].label_from_instance = lambda user: user.full_name or user.get_username()  # type: ignore[attr-defined]
        for value, label in AudienceType.choices:
            self.fields[f"relevance_{value}"] = forms.ChoiceField(
                label=f"Relevance for {label.lower() if value != 'spocs' else label}",
                choices=Relevance.choices,
                initial=Relevance.RELEVANT,
            )
            self.fields[f"priority_{value}"] = forms.TypedChoiceField(
                label=f"Priority for {label.lower() if value != 'spocs' else label}",
                choices=[(n, f"{n}{' (highest)' if n == 1 else ' (lowest)' if n == 5 else ''}") for n in range(1, 6)],
                coerce=int,
                initial=3,
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("min_minutes"), data.get("max_minutes")
        if low is not None and high is not None and low > high:
            self.add_error("max_minutes", "The longest time must be at least the shortest time.")
        return data

    def audiences(self) -> dict[str, tuple[str, int]]:
        return {
            value: (self.cleaned_data[f"relevance_{value}"], self.cleaned_data[f"priority_{value}"])
            for value in AudienceType.values
        }

    def audience_fields(self) -> list[tuple[Any, Any]]:
        return [(self[f"relevance_{value}"], self[f"priority_{value}"]) for value in AudienceType.values]


class OutcomeForm(forms.Form):
    text = forms.CharField(
        label="Learning outcome",
        max_length=300,
        required=False,
        error_messages={"max_length": "A learning outcome can be 300 characters at most: shorten it."},
    )
    action = forms.ChoiceField(choices=[(a, a) for a in ("add", "edit", "up", "down", "retire", "restore")])
    outcome = forms.IntegerField(required=False)
    version = forms.IntegerField()


class SettingsForm(forms.ModelForm):
    class Meta:
        model = TrainingSettings
        fields = [
            "half_day_minutes",
            "full_day_minutes",
            "break_minutes",
            "lunch_minutes",
            "feedback_days",
            "enquiries_per_hour",
            "offer_published",
            "offer_introduction",
            "contact_email",
        ]
        labels = {
            "half_day_minutes": "Half day (minutes, breaks included)",
            "full_day_minutes": "Full day (minutes, breaks and lunch included)",
            "break_minutes": "Each break (minutes)",
            "lunch_minutes": "Lunch (minutes)",
            "feedback_days": "Days a feedback link stays open",
            "enquiries_per_hour": "Enquiries one address may send in an hour",
            "offer_published": "Show this unit's offer on the public page",
            "offer_introduction": "Introduction on the public page",
            "contact_email": "Contact email on the public page",
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        half, full = data.get("half_day_minutes"), data.get("full_day_minutes")
        if half is not None and full is not None and full <= half:
            self.add_error("full_day_minutes", "A full day must be longer than a half day.")
        return data
