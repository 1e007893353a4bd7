"""The acknowledgement of a red flag: a required note, and the version the person saw."""

from __future__ import annotations

from django import forms

from masip.timeline.alert_services import NOTE_MAX_LENGTH


class AcknowledgeForm(forms.Form):
    note = forms.CharField(
        label="What was done or decided about this red flag",
        help_text="For example: discussed with the victim, safety plan updated, re-assessment booked.",
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=NOTE_MAX_LENGTH,
        error_messages={
            "required": "Write what was done or decided about this red flag.",
            "max_length": f"The note can be at most {NOTE_MAX_LENGTH:,} characters.",
        },
    )
    version = forms.IntegerField(
        widget=forms.HiddenInput, error_messages={"required": "Reload the page and try again."}
    )
