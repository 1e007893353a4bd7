"""Forms of the case pages. They parse input; the rules live in cases.services."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms

from masip.access.policy import Compartment
from masip.cases.models import CaseStatus
from masip.cases.services import BREAK_GLASS_REASON_MIN_LENGTH, NOTE_MAX_LENGTH


class CaseFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="Status",
        choices=[("", "All statuses"), *CaseStatus.choices],
        required=False,
        error_messages={"invalid_choice": "Choose a status from the list."},
    )


class CaseNoteForm(forms.Form):
    compartment = forms.ChoiceField(
        label="Who may read this note",
        choices=Compartment.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose who may read this note.",
            "invalid_choice": "Choose who may read this note from the options given.",
        },
    )
    body = forms.CharField(
        label="Note",
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=NOTE_MAX_LENGTH,
        error_messages={
            "required": "Enter the note.",
            "max_length": f"A note can be at most {NOTE_MAX_LENGTH} characters. Split it into two notes.",
        },
    )

    def __init__(self, *args: Any, offered: Iterable[Compartment], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the compartments the user may write in are shown. Any real compartment still
        # parses, so that the service refuses a forged one with a 403 rather than the form
        # quietly treating an attack like a typing mistake.
        field = self.fields["compartment"]
        field.widget.choices = [(c.value, c.label) for c in offered]
        if len(field.widget.choices) == 1:
            field.initial = field.widget.choices[0][0]


class BreakGlassForm(forms.Form):
    reason = forms.CharField(
        label="Why do you need to open this case now?",
        help_text=(
            "Say what has happened and why it cannot wait for the case team, for example "
            "“Victim phoned the duty line reporting the suspect outside her home; case team off duty.” "
            "Your unit manager will see this reason."
        ),
        widget=forms.Textarea(attrs={"rows": 4}),
        min_length=BREAK_GLASS_REASON_MIN_LENGTH,
        max_length=2000,
        error_messages={
            "required": "Enter why you need to open this case.",
            "min_length": (
                f"Explain in at least {BREAK_GLASS_REASON_MIN_LENGTH} characters why you need this case now."
            ),
            "max_length": "Keep the reason to 2000 characters or fewer.",
        },
    )
