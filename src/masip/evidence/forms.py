"""Forms of the evidence pages. They parse input; the rules live in evidence.services."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from masip.access.policy import Compartment
from masip.evidence.models import EvidenceKind
from masip.evidence.services import DESCRIPTION_MAX_LENGTH, EVIDENCE_COMPARTMENTS

DATE_FORMATS = ["%d/%m/%Y", "%d/%m/%y", "%Y-%m-%d", "%d %m %Y"]


class EvidenceUploadForm(forms.Form):
    file = forms.FileField(
        label="File",
        help_text=(
            "A screenshot, photograph, voicemail or recording, video (MP4), PDF, Word or Excel document, "
            "text file or email message, as you received it."
        ),
        error_messages={
            "required": "Choose the file to upload.",
            "empty": "The file is empty (0 bytes). Check you chose the right file and upload it again.",
            "invalid": "Choose the file to upload.",
        },
    )
    kind = forms.ChoiceField(
        label="What kind of evidence is it",
        choices=EvidenceKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what kind of evidence this is."},
    )
    description = forms.CharField(
        label="Description",
        help_text="What it shows, and why it matters to the case.",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=DESCRIPTION_MAX_LENGTH,
        error_messages={"required": "Describe the evidence."},
    )
    captured_by = forms.CharField(
        label="Captured by",
        help_text="Who took the screenshot, photograph or copy, for example “PC 1234 Jones”.",
        max_length=200,
        error_messages={"required": "Enter who captured this evidence."},
    )
    captured_from = forms.CharField(
        label="Obtained from",
        help_text="From whom or what, for example “the victim's phone”.",
        max_length=500,
        error_messages={"required": "Enter who or what it was obtained from."},
    )
    captured_on = forms.DateField(
        label="Date captured",
        help_text="For example, 27/03/2026",
        input_formats=DATE_FORMATS,
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10", "inputmode": "numeric"}),
        error_messages={
            "required": "Enter the date it was captured.",
            "invalid": "Enter the date it was captured as day/month/year, for example 27/03/2026.",
        },
    )
    captured_time = forms.TimeField(
        label="Time captured",
        help_text="24-hour clock, for example 14:30",
        required=False,
        input_formats=["%H:%M", "%H.%M", "%H%M"],
        widget=forms.TextInput(attrs={"class": "govuk-input--width-5"}),
        error_messages={"invalid": "Enter the time as hours and minutes, for example 14:30."},
    )
    exhibit_ref = forms.CharField(
        label="Your exhibit number",
        help_text="Leave blank and masip numbers it <case reference>/EX/001, /EX/002…",
        required=False,
        max_length=64,
    )
    compartment = forms.ChoiceField(
        label="Who may see this evidence",
        choices=[(c.value, c.label) for c in EVIDENCE_COMPARTMENTS],
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose who may see this evidence.",
            "invalid_choice": "Choose who may see this evidence from the options given.",
        },
    )

    def __init__(self, *args: Any, offered: Iterable[Compartment] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the compartments the user may add to are shown; any evidence compartment still
        # parses, so that the service refuses a forged one with a 403 (as for notes).
        field = self.fields["compartment"]
        field.widget.choices = [(c.value, c.label) for c in offered]
        if len(field.widget.choices) == 1:
            field.initial = field.widget.choices[0][0]

    def captured_at(self) -> datetime:
        day = self.cleaned_data["captured_on"]
        moment = self.cleaned_data.get("captured_time") or time(0, 0)
        return datetime.combine(day, moment, tzinfo=ZoneInfo(settings.TIME_ZONE))


class HandOverForm(forms.Form):
    recipient = forms.CharField(
        label="Handed to",
        help_text="Organisation and person, for example “CPS, Jane Smith (reviewing lawyer)”.",
        max_length=300,
        error_messages={"required": "Enter who received it."},
    )
    reason = forms.CharField(
        label="Reason",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": "Enter why it was handed over."},
    )


class _ChosenExhibits(forms.MultipleChoiceField):
    """The exhibits ticked. Any id parses: evidence_export decides what may be exported, so a
    forged id gets the service's message rather than a generic "not a valid choice"."""

    def validate(self, value: Any) -> None:
        if self.required and not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")


class ExportForm(forms.Form):
    exhibits = _ChosenExhibits(
        label="Exhibits to export",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one exhibit to export."},
    )
    recipient = forms.CharField(
        label="Who it is for",
        help_text="Organisation and person, for example “CPS, Jane Smith (reviewing lawyer)” or “Crown Court”.",
        max_length=300,
        error_messages={"required": "Enter who the evidence is for."},
    )
    purpose = forms.CharField(
        label="Purpose",
        help_text="Why it is being sent, for example “file for a charging decision”.",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": "Enter why the evidence is being exported."},
    )

    def __init__(self, *args: Any, items: Iterable[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["exhibits"]
        field.choices = [(str(item.pk), exhibit_choice_label(item)) for item in items]


def exhibit_choice_label(item: Any) -> str:
    return (
        f"{item.exhibit_ref}: {item.file_name} ({item.file_type.label}, {filesizeformat(item.size)}) "
        f"· {item.get_compartment_display()}"
    )
