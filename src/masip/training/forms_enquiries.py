"""Forms of training enquiries: the public enquiry form (with its honeypot) and the trainers'
handling of one enquiry."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import MaxLengthValidator

from masip.training.models import AudienceType, EnquiryStatus, OrganisationKind, SessionFormat, UkRegion
from masip.training.services_enquiries import TRAINER_NOTES_MAX_LENGTH, EnquiryDraft

MESSAGE_MAX_LENGTH = 2_000
AUDIENCE_MAX = 500
HONEYPOT = "website"


def _limited(max_length: int, what: str, required: str = "") -> dict[str, Any]:
    messages = {"max_length": f"{what} can be at most {max_length} characters."}
    if required:
        messages["required"] = required
    return {"max_length": max_length, "error_messages": messages}


def audience_field(label: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=0,
        max_value=AUDIENCE_MAX,
        widget=forms.NumberInput(attrs={"class": "govuk-input--width-4", "inputmode": "numeric"}),
        error_messages={
            "invalid": f"Enter the number of {label.lower()} as a whole number, for example 12.",
            "min_value": f"The number of {label.lower()} cannot be negative.",
            "max_value": (
                f"The number of {label.lower()} can be at most {AUDIENCE_MAX}: for more, tell us in your message."
            ),
        },
    )


AUDIENCE_FIELDS = {f"audience_{value}": label for value, label in AudienceType.choices}


class AudienceMixin(forms.Form):
    """Expected numbers per audience type: at least one above nought."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label in AUDIENCE_FIELDS.items():
            self.fields[name] = audience_field(label)

    def audience_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in AUDIENCE_FIELDS]

    def audience(self) -> dict[str, int]:
        return {name.removeprefix("audience_"): self.cleaned_data.get(name) or 0 for name in AUDIENCE_FIELDS}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        values = [cleaned.get(name) for name in AUDIENCE_FIELDS]
        if not any(name in self.errors for name in AUDIENCE_FIELDS) and not any(v for v in values):
            self.add_error(
                next(iter(AUDIENCE_FIELDS)), "Enter how many people you expect for at least one of the audiences."
            )
        return cleaned


class EnquiryForm(AudienceMixin):
    """The public enquiry form. `website` is the honeypot: hidden from people, filled by bots."""

    organisation_name = forms.CharField(
        label="Name of your organisation",
        **_limited(200, "The organisation's name", "Enter the name of your organisation."),
    )
    organisation_kind = forms.ChoiceField(
        label="What kind of organisation is it?",
        choices=[("", "Choose the kind of organisation"), *OrganisationKind.choices],
        error_messages={
            "required": "Choose the kind of organisation.",
            "invalid_choice": "Choose a kind from the list.",
        },
    )
    region = forms.ChoiceField(
        label="Where is it?",
        choices=[("", "Choose where your organisation is"), *UkRegion.choices],
        error_messages={
            "required": "Choose where your organisation is.",
            "invalid_choice": "Choose a region from the list.",
        },
    )
    contact_name = forms.CharField(
        label="Your name",
        widget=forms.TextInput(attrs={"autocomplete": "name", "spellcheck": "false"}),
        **_limited(200, "Your name", "Enter your name."),
    )
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        error_messages={
            "required": "Enter your email address, so we can reply.",
            "invalid": "Enter an email address in the correct format, like name@example.org.",
            "max_length": "The email address can be at most 254 characters.",
        },
    )
    phone = forms.CharField(
        label="Phone number",
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel", "class": "govuk-input--width-20"}),
        **_limited(40, "The phone number"),
    )
    preferred_format = forms.ChoiceField(
        label="Which format would you prefer?",
        required=False,
        choices=[*SessionFormat.choices, ("", "Not sure yet")],
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose a format from the list."},
    )
    preferred_dates = forms.CharField(
        label="Preferred dates",
        required=False,
        help_text="For example, “any Tuesday in March” or “before the end of June”.",
        **_limited(300, "Preferred dates"),
    )
    message = forms.CharField(
        label="Anything else we should know",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=f"At most {MESSAGE_MAX_LENGTH} characters.",
        **_limited(MESSAGE_MAX_LENGTH, "Your message"),
    )
    website = forms.CharField(
        label="Leave this field empty",
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["message"].validators.append(MaxLengthValidator(MESSAGE_MAX_LENGTH))

    def is_bot(self) -> bool:
        return bool((self.data.get(HONEYPOT) or "").strip())

    def draft(self) -> EnquiryDraft:
        data = self.cleaned_data
        return EnquiryDraft(
            organisation_name=" ".join(data["organisation_name"].split()),
            organisation_kind=data["organisation_kind"],
            region=data["region"],
            contact_name=data["contact_name"].strip(),
            email=data["email"],
            phone=data["phone"].strip(),
            audience=self.audience(),
            preferred_format=data["preferred_format"],
            preferred_dates=data["preferred_dates"].strip(),
            message=data["message"].strip(),
        )


class _Trainer(forms.ModelChoiceField[Any]):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.full_name or obj.email)


class EnquiryEditForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(label="Status", choices=EnquiryStatus.choices)
    assigned_to = _Trainer(label="Trainer looking after it", queryset=None, required=False, empty_label="Nobody yet")
    trainer_notes = forms.CharField(
        label="Trainers' notes",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        **_limited(TRAINER_NOTES_MAX_LENGTH, "Notes"),
    )

    def __init__(self, *args: Any, trainers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].queryset = trainers  # type: ignore[attr-defined]


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)


class StatusFilterForm(forms.Form):
    status = forms.ChoiceField(label="Status", choices=[("", "All"), *EnquiryStatus.choices], required=False)
