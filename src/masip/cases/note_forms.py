"""Forms for notes and contact records. They parse input; the rules live in cases.services."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, cast

from django import forms
from django.utils import timezone

from masip.access.policy import Compartment
from masip.cases.models import CaseNote, CaseParticipant, ContactChannel
from masip.cases.services import CONTACT_WITH_MAX_LENGTH, NOTE_MAX_LENGTH, ContactDetails
from masip.core.forms import NativeDateInput

SOMEONE_ELSE = "other"


class VersionField(forms.IntegerField):
    """The version of the note the editor opened, sent back so a stale edit can be recognised."""

    def __init__(self) -> None:
        super().__init__(
            widget=forms.HiddenInput,
            min_value=1,
            error_messages={"required": "Reload the page and make your change again."},
        )


def _compartment_field(offered: Iterable[Compartment]) -> forms.ChoiceField:
    field = forms.ChoiceField(
        label="Who may read this record",
        choices=Compartment.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose who may read this record.",
            "invalid_choice": "Choose who may read this record from the options given.",
        },
    )
    # As on the note form: only writable compartments are shown, any real one parses, and the
    # service refuses a forged one with a 403.
    field.widget.choices = [(c.value, c.label) for c in offered]
    if len(field.widget.choices) == 1:
        field.initial = field.widget.choices[0][0]
    return field


class ContactForm(forms.Form):
    """A contact record: when, who made it, with whom, how, and a summary."""

    contact_date = forms.DateField(
        label="Date of the contact",
        widget=NativeDateInput(),
        error_messages={"required": "Enter the date of the contact.", "invalid": "Enter a real date."},
    )
    contact_time = forms.TimeField(
        label="Time of the contact",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"required": "Enter the time of the contact.", "invalid": "Enter a time such as 14:30."},
    )
    contact_by = forms.ChoiceField(
        label="Who made the contact",
        error_messages={"required": "Choose who made the contact.", "invalid_choice": "Choose who made the contact."},
    )
    contact_with = forms.ChoiceField(
        label="Who the contact was with",
        error_messages={
            "required": "Choose who the contact was with.",
            "invalid_choice": "Choose who the contact was with from the list.",
        },
    )
    contact_with_text = forms.CharField(
        label="If someone else, who",
        help_text="For example “officer in the case” or “victim's sister”. Do not enter phone numbers or addresses.",
        required=False,
        max_length=CONTACT_WITH_MAX_LENGTH,
        error_messages={"max_length": f"Keep this to {CONTACT_WITH_MAX_LENGTH} characters or fewer."},
    )
    channel = forms.ChoiceField(
        label="How",
        choices=ContactChannel.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how the contact was made.", "invalid_choice": "Choose how."},
    )
    body = forms.CharField(
        label="Summary",
        help_text=(
            "Do not write the victim's address or phone number here: they belong in the person's contact details."
        ),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=NOTE_MAX_LENGTH,
        error_messages={
            "required": "Enter the summary of the contact.",
            "max_length": f"A summary can be at most {NOTE_MAX_LENGTH} characters. Split it into two entries.",
        },
    )

    def __init__(
        self,
        *args: Any,
        team: Sequence[Any],
        participants: Sequence[CaseParticipant],
        offered: Iterable[Compartment] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._team = {str(user.pk): user for user in team}
        self._participants = {str(p.pk): p for p in participants}
        by = cast(forms.ChoiceField, self.fields["contact_by"])
        with_ = cast(forms.ChoiceField, self.fields["contact_with"])
        by.choices = [(key, str(user)) for key, user in self._team.items()]
        with_.choices = [
            ("", "Choose a person"),
            *((key, f"{p.person.display_name} ({p.get_role_display()})") for key, p in self._participants.items()),
            (SOMEONE_ELSE, "Someone else (describe below)"),
        ]
        if offered is not None:
            self.fields["compartment"] = _compartment_field(offered)
            self.order_fields(["compartment"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("contact_with") == SOMEONE_ELSE and not (data.get("contact_with_text") or "").strip():
            self.add_error("contact_with_text", "Describe who the contact was with.")
        return data

    def details(self) -> ContactDetails:
        data = self.cleaned_data
        when = timezone.make_aware(datetime.combine(data["contact_date"], data["contact_time"]))
        participant = self._participants.get(data["contact_with"])
        return ContactDetails(
            contact_at=when,
            contact_by=self._team[data["contact_by"]],
            channel=data["channel"],
            contact_with=participant,
            contact_with_text="" if participant is not None else data["contact_with_text"],
        )

    @staticmethod
    def initial_for(note: CaseNote) -> dict[str, Any]:
        when = timezone.localtime(note.contact_at) if note.contact_at else None
        return {
            "contact_date": when.date() if when else None,
            "contact_time": when.time().replace(second=0, microsecond=0) if when else None,
            "contact_by": str(note.contact_by_id or ""),
            "contact_with": str(note.contact_with_id) if note.contact_with_id else SOMEONE_ELSE,
            "contact_with_text": note.contact_with_text,
            "channel": note.channel,
            "body": note.body,
        }


class ContactEditForm(ContactForm):
    version = VersionField()


class NoteEditForm(forms.Form):
    version = VersionField()
    body = forms.CharField(
        label="Note",
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=NOTE_MAX_LENGTH,
        error_messages={
            "required": "Enter the note.",
            "max_length": f"A note can be at most {NOTE_MAX_LENGTH} characters. Split it into two notes.",
        },
    )


class ReleaseSummaryForm(forms.Form):
    summary = forms.CharField(
        label="Summary for the case team",
        help_text=(
            "Write what the team needs to know. The clinical note itself stays in the health "
            "compartment; only this summary is shared."
        ),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=NOTE_MAX_LENGTH,
        error_messages={
            "required": "Enter the summary to release to the team.",
            "max_length": f"A summary can be at most {NOTE_MAX_LENGTH} characters.",
        },
    )
