"""Forms of the Victims' Code part. They parse; the rules (no event in the future, no update
before its event, no unsafe channel) live in services_vcop."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.utils import timezone

from masip.cases.models import ContactChannel
from masip.core.forms import NativeDateInput
from masip.interventions.models_vcop import VcopEventKind, VcopFrequency, VcopViewTopic
from masip.interventions.services_vcop import TEXT_MAX_LENGTH

YES_NO = [("yes", "Yes"), ("no", "No")]


def _date(label: str, subject: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        widget=NativeDateInput(),
        error_messages={"required": f"Enter the date {subject}.", "invalid": "Enter a real date, such as 2025-08-22."},
    )


def _time(label: str, subject: str) -> forms.TimeField:
    return forms.TimeField(
        label=label,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"required": f"Enter the time {subject}.", "invalid": "Enter a time such as 14:30."},
    )


def _text(label: str, required_message: str, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=TEXT_MAX_LENGTH,
        error_messages={
            "required": required_message,
            "max_length": f"This can be at most {TEXT_MAX_LENGTH:,} characters.",
        },
    )


def _aware(data: dict[str, Any], day: str, time: str) -> datetime | None:
    if data.get(day) is None or data.get(time) is None:
        return None
    return timezone.make_aware(datetime.combine(data[day], data[time]))


class SettingsForm(forms.Form):
    enhanced_rights = forms.ChoiceField(
        label="Does the victim have enhanced rights?",
        help_text="Victims of stalking usually do: persistently targeted, intimidated or vulnerable victims.",
        choices=YES_NO,
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether the victim has enhanced rights."},
    )
    enhanced_reason = forms.CharField(
        label="Why",
        help_text="Required when the victim does not have enhanced rights.",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=TEXT_MAX_LENGTH,
        error_messages={"max_length": f"The reason can be at most {TEXT_MAX_LENGTH:,} characters."},
    )
    update_frequency = forms.ChoiceField(
        label="How often the victim wants to be updated",
        choices=VcopFrequency.choices,
        widget=forms.RadioSelect,
        required=False,
        error_messages={"invalid_choice": "Choose how often from the list."},
    )
    channel = forms.ChoiceField(
        label="How the victim wants to be updated",
        choices=ContactChannel.choices,
        widget=forms.RadioSelect,
        required=False,
        error_messages={"invalid_choice": "Choose how from the list."},
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ViewForm(forms.Form):
    topic = forms.ChoiceField(
        label="What the views are about",
        choices=VcopViewTopic.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what the views are about.", "invalid_choice": "Choose from the list."},
    )
    given_on = _date("Date the victim gave their views", "the victim gave their views")
    views = _text(
        "The victim's views",
        "Write the victim's views, in their words where you can.",
        "For example what they want the conditions or the order to forbid, and what they fear.",
    )


class EventForm(forms.Form):
    kind = forms.ChoiceField(
        label="What happened",
        choices=VcopEventKind.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose what happened.",
            "invalid_choice": "Choose what happened from the list.",
        },
    )
    occurred_date = _date("Date it happened", "it happened")
    occurred_time = _time("Time it happened", "it happened")

    def occurred_at(self) -> datetime | None:
        return _aware(self.cleaned_data, "occurred_date", "occurred_time")


class MarkSentForm(forms.Form):
    sent_date = _date("Date the victim was told", "the victim was told")
    sent_time = _time("Time the victim was told", "the victim was told")
    channel = forms.ChoiceField(
        label="How the victim was told",
        choices=ContactChannel.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how the victim was told.", "invalid_choice": "Choose from the list."},
    )
    summary = _text("What the victim was told", "Write what the victim was told.")
    version = forms.IntegerField(
        widget=forms.HiddenInput, error_messages={"required": "Reload the page and try again."}
    )

    def sent_at(self) -> datetime | None:
        return _aware(self.cleaned_data, "sent_date", "sent_time")
