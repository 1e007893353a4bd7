"""Forms of the panel's agenda. They parse; the rules (an open case of the unit, not already on
the agenda, a meeting that can still change) live in services_agenda."""

from __future__ import annotations

from django import forms

from masip.panel.services_agenda import DECLINE_MAX_LENGTH, REASON_MAX_LENGTH

RELOAD = "Reload the page and try again."


class AddCaseForm(forms.Form):
    reference = forms.CharField(
        label="Case reference",
        help_text="As shown on the case page, for example NTH-2025-0012.",
        max_length=32,
        widget=forms.TextInput(attrs={"class": "govuk-input govuk-input--width-20", "spellcheck": "false"}),
        error_messages={
            "required": "Enter the case reference, for example NTH-2025-0012.",
            "max_length": "A case reference is at most 32 characters: check it on the case page.",
        },
    )


class MoveForm(forms.Form):
    direction = forms.ChoiceField(
        choices=[("up", "Up"), ("down", "Down")], error_messages={"required": RELOAD, "invalid_choice": RELOAD}
    )
    version = forms.IntegerField(widget=forms.HiddenInput, error_messages={"required": RELOAD, "invalid": RELOAD})


class WithdrawForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, error_messages={"required": RELOAD, "invalid": RELOAD})


class RequestForm(forms.Form):
    reason = forms.CharField(
        label="Why should the panel discuss this case?",
        help_text="For example a new threat, a breach, or a decision the team needs from the partner agencies. "
        "The chair reads this; do not include detail only your agency may see.",
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=REASON_MAX_LENGTH,
        error_messages={
            "required": "Say why the panel should discuss this case.",
            "max_length": f"The reason can be at most {REASON_MAX_LENGTH:,} characters.",
        },
    )


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label="Why will the case not be brought to the panel?",
        help_text="The member who asked will see this.",
        max_length=DECLINE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": "Say why the case will not be brought to the panel.",
            "max_length": f"The reason can be at most {DECLINE_MAX_LENGTH} characters.",
        },
    )
    version = forms.IntegerField(widget=forms.HiddenInput, error_messages={"required": RELOAD, "invalid": RELOAD})
