"""Forms of the referrer's question pages. They parse what was typed; completeness and the
rules of a referral live in referrals.services (`referral_save_draft`, `referral_submit`).

Every question form can be sent two ways: "Continue", which needs the page's answers, and
"Save and come back later", which keeps whatever was entered (blank answers allowed, wrong ones
still refused) so that a referrer called away mid-form loses nothing.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from masip.people.models import Gender, validate_nhs_number
from masip.referrals.models import Behaviour, Relationship, SubjectRole, Urgency
from masip.referrals.services import MAX_APPROXIMATE_AGE, ORDERS_MAX_LENGTH, SUMMARY_MAX_LENGTH

EARLIEST_YEAR = 1900
WITHDRAW_REASON_MAX_LENGTH = 2_000
# The consent-to-sharing answer "not asked yet" is stored as no answer at all (None).
NOT_ASKED = "not_asked"


class DateInputWidget(forms.MultiWidget):
    """The GOV.UK date input: day, month and year boxes (names `<name>_day`, `_month`, `_year`)."""

    template_name = "referrals/referrer/widgets/date_input.html"
    PARTS = (("day", "Day", 2), ("month", "Month", 2), ("year", "Year", 4))

    def __init__(self) -> None:
        # No browser autofill: the date is someone else's, never the referrer's own birthday.
        attrs = {"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"}
        super().__init__({name: forms.TextInput(attrs=attrs) for name, _, _ in self.PARTS})
        self.has_error = False

    def decompress(self, value: Any) -> list[Any]:
        if isinstance(value, date):
            return [value.day, value.month, value.year]
        return [None, None, None]

    def id_for_label(self, id_: str) -> str:
        # The error summary links to the day box (MultiWidget numbers its boxes' ids from 0).
        return f"{id_}_0" if id_ else ""

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        for subwidget, (_, label, width) in zip(context["widget"]["subwidgets"], self.PARTS, strict=True):
            subwidget["label"] = label
            subwidget["width"] = width
        context["widget"]["has_error"] = self.has_error
        return context


class GovukDateField(forms.MultiValueField):
    """A date typed as day, month and year, with the GOV.UK messages for each way it can be wrong.

    `subject` names the date at the start of a message ("Date of birth must include a year");
    dates after today are refused with `future_message`.
    """

    widget = DateInputWidget

    def __init__(self, *, subject: str, future_message: str, **kwargs: Any) -> None:
        self.subject = subject
        self.future_message = future_message
        parts = (forms.CharField(required=False), forms.CharField(required=False), forms.CharField(required=False))
        kwargs.setdefault("help_text", "For example, 27 3 2007")
        super().__init__(fields=parts, require_all_fields=False, **kwargs)

    def clean(self, value: Any) -> date | None:
        parts = [*value, None, None, None][:3] if isinstance(value, list | tuple) else [None, None, None]
        day, month, year = (str(part or "").strip() for part in parts)
        if not (day or month or year):
            if self.required:
                raise ValidationError(f"Enter the {self.subject.lower()}.", code="required")
            return None
        missing = [name for name, part in (("day", day), ("month", month), ("year", year)) if not part]
        if missing:
            raise ValidationError(f"{self.subject} must include a {' and '.join(missing)}.", code="incomplete")
        if not (day.isdigit() and month.isdigit() and year.isdigit()):
            raise ValidationError(
                f"{self.subject} must be a real date, in numbers, for example 27 3 2007.", code="invalid"
            )
        if len(year) != 4:
            raise ValidationError(f"The year of the {self.subject.lower()} must have 4 numbers, for example 2007.")
        d, m, y = int(day), int(month), int(year)
        if not 1 <= m <= 12:
            raise ValidationError(f"{self.subject} must be a real date: the month must be from 1 to 12.")
        try:
            result = date(y, m, d)
        except ValueError:
            last = calendar.monthrange(y, m)[1]
            raise ValidationError(
                f"{self.subject} must be a real date: there is no {d} {calendar.month_name[m]} {y} "
                f"({calendar.month_name[m]} {y} has {last} days).",
                code="invalid",
            ) from None
        if result > timezone.localdate():
            raise ValidationError(self.future_message, code="future")
        if y < EARLIEST_YEAR:
            raise ValidationError(f"{self.subject} must be in {EARLIEST_YEAR} or later.", code="too_early")
        return result

    def compress(self, data_list: list[Any]) -> Any:  # clean() above does the work
        return data_list


def _version_field() -> forms.IntegerField:
    """The version of the referral the page showed: a save from an older page is refused."""
    out_of_date = "This page is out of date. Reload it and enter your answers again."
    return forms.IntegerField(
        widget=forms.HiddenInput, error_messages={"required": out_of_date, "invalid": out_of_date}
    )


class QuestionForm(forms.Form):
    """A question page: the draft's version it was opened at, and answers needed to continue."""

    version = _version_field()

    def __init__(self, *args: Any, answers_needed: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.answers_needed = answers_needed
        if not answers_needed:
            for name, field in self.fields.items():
                if name != "version":
                    field.required = False

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            field = self.fields.get(name)
            if field is not None and isinstance(field.widget, DateInputWidget):
                field.widget.has_error = True


def _text(label: str, max_length: int, **kwargs: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=kwargs.pop("required", False),
        error_messages={"max_length": f"{label} can be at most {max_length} characters."},
        **kwargs,
    )


class StartForm(forms.Form):
    unit = forms.TypedChoiceField(
        label="Which stalking unit are you referring to?",
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose the unit you are referring to.",
            "invalid_choice": "Choose one of the units listed.",
        },
    )

    def __init__(self, *args: Any, units: Iterable[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.TypedChoiceField, self.fields["unit"]).choices = [(unit.pk, unit.name) for unit in units]


class AboutForm(QuestionForm):
    urgency = forms.ChoiceField(
        label="How urgent is this referral?",
        choices=Urgency.choices,
        widget=forms.RadioSelect,
        help_text="Immediate: the victim is at risk of serious harm now. Urgent: the unit should look at it "
        "within two working days.",
        error_messages={"required": "Choose how urgent the referral is.", "invalid_choice": "Choose an urgency."},
    )
    crime_reference = _text(
        "Crime reference",
        64,
        help_text="The police crime or incident number, if the stalking has been reported.",
    )
    external_reference = _text(
        "Your own reference", 64, help_text="Your agency's reference for this referral, if you have one."
    )


class PersonForm(QuestionForm):
    """One victim or suspect. The role decides the wording and which identifiers are asked."""

    given_name = _text(
        "First name",
        100,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text="Give at least a first or a last name.",
    )
    family_name = _text("Last name", 100, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    date_of_birth = GovukDateField(
        label="Date of birth",
        subject="Date of birth",
        future_message="Date of birth must be today or in the past.",
        required=False,
        help_text="For example, 27 3 1990. Leave it blank if you do not know it.",
    )
    approximate_age = forms.IntegerField(
        label="Approximate age",
        required=False,
        min_value=0,
        max_value=MAX_APPROXIMATE_AGE,
        help_text="Only if you do not know the date of birth.",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "govuk-input--width-3"}),
        error_messages={
            "invalid": "Enter the approximate age as a number of years, like 34.",
            "min_value": f"Enter an approximate age from 0 to {MAX_APPROXIMATE_AGE}.",
            "max_value": f"Enter an approximate age from 0 to {MAX_APPROXIMATE_AGE}.",
        },
    )
    gender = forms.ChoiceField(
        label="Gender",
        choices=Gender.choices,
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose a gender from the list, or leave it blank."},
    )
    pnc_id = _text(
        "Police National Computer (PNC) ID", 32, help_text="If known, for example 99/123456A.", required=False
    )
    nhs_number = _text("NHS number", 20, help_text="If known: 10 digits, like 485 777 3456.")
    phone = _text("Phone number", 40, widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}))
    email = forms.EmailField(
        label="Email address",
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        error_messages={"invalid": "Enter an email address in the right format, like name@example.com."},
    )
    address = _text("Address", 1000, widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}))

    def __init__(self, *args: Any, role: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.role = role
        if role == SubjectRole.VICTIM:
            del self.fields["pnc_id"]
        else:
            self.fields["given_name"].help_text = "Give a name, or an identifier such as a PNC ID below."

    def clean_nhs_number(self) -> str:
        value: str = self.cleaned_data.get("nhs_number", "").strip()
        validate_nhs_number(value)
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("date_of_birth") and data.get("approximate_age") is not None:
            self.add_error(
                "approximate_age",
                "Give the date of birth or, if you do not know it, an approximate age: not both.",
            )
        named = any((data.get(name) or "").strip() for name in ("given_name", "family_name"))
        if self.answers_needed and not named:
            if self.role == SubjectRole.VICTIM:
                self.add_error("given_name", "Enter the victim's first name or last name.")
            elif not any((data.get(name) or "").strip() for name in ("pnc_id", "nhs_number")):
                self.add_error(
                    "given_name",
                    "Enter the suspect's name or an identifier. If you do not know who the suspect is, "
                    "go back and choose “The suspect has not been identified”.",
                )
        return data


class SuspectKnownForm(QuestionForm):
    known = forms.ChoiceField(
        label="Do you know who the suspect is?",
        choices=[("yes", "Yes, I can give their details"), ("no", "No, the suspect has not been identified")],
        widget=forms.RadioSelect,
        help_text="A referral where the stalker is not identified is still a valid referral.",
        error_messages={"required": "Choose whether you know who the suspect is."},
    )


class RelationshipForm(QuestionForm):
    relationship = forms.ChoiceField(
        label="What is the suspect's relationship to the victim?",
        choices=Relationship.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose the suspect's relationship to the victim, or “Not known”.",
            "invalid_choice": "Choose a relationship from the list.",
        },
    )


class BehavioursForm(QuestionForm):
    behaviours = forms.MultipleChoiceField(
        label="What has the suspect done so far?",
        choices=Behaviour.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Select all that apply.",
        error_messages={
            "required": "Select at least one behaviour the victim has experienced.",
            "invalid_choice": "Choose behaviours from the list.",
        },
    )


class OrdersForm(QuestionForm):
    existing_orders = _text(
        "Existing orders or bail conditions",
        ORDERS_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="For example a stalking protection order, restraining order, non-molestation order or bail "
        "conditions: say which, who it protects and until when. Leave blank if there are none.",
    )


class ConsentForm(QuestionForm):
    consent_to_referral = forms.ChoiceField(
        label="Does the victim consent to this referral?",
        choices=[("yes", "Yes"), ("no", "No")],
        widget=forms.RadioSelect,
        help_text="Ask the victim before you refer. Without consent the unit may still act where the risk is high.",
        error_messages={"required": "Choose whether the victim consents to this referral."},
    )
    consent_to_referral_on = GovukDateField(
        label="Date the victim answered about this referral",
        subject="The date of consent to the referral",
        future_message="The date of consent to the referral must be today or in the past.",
        required=False,
    )
    consent_to_sharing = forms.ChoiceField(
        label="Does the victim consent to information being shared with the unit's partner agencies?",
        choices=[("yes", "Yes"), ("no", "No"), (NOT_ASKED, "Not asked yet")],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether the victim consents to information sharing."},
    )
    consent_to_sharing_on = GovukDateField(
        label="Date the victim answered about information sharing",
        subject="The date of consent to information sharing",
        future_message="The date of consent to information sharing must be today or in the past.",
        required=False,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.answers_needed:
            return data
        if (
            data.get("consent_to_referral")
            and not data.get("consent_to_referral_on")
            and not self._has_error("consent_to_referral_on")
        ):
            self.add_error("consent_to_referral_on", "Enter the date the victim gave their answer about the referral.")
        sharing = data.get("consent_to_sharing")
        if (
            sharing in ("yes", "no")
            and not data.get("consent_to_sharing_on")
            and not self._has_error("consent_to_sharing_on")
        ):
            self.add_error(
                "consent_to_sharing_on", "Enter the date the victim gave their answer about information sharing."
            )
        return data

    def _has_error(self, name: str) -> bool:
        return name in self.errors


class SummaryForm(QuestionForm):
    summary = forms.CharField(
        label="What has happened?",
        max_length=SUMMARY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text="Describe the stalking in your own words: when it started, what the suspect has done and "
        "how often, anything that has got worse recently, and how the victim is affected.",
        error_messages={
            "required": "Describe what has happened.",
            "max_length": f"The description can be at most {SUMMARY_MAX_LENGTH} characters.",
        },
    )


class ConfirmForm(QuestionForm):
    """Removing a person or submitting: nothing to answer, only the version the page showed."""


class WithdrawForm(forms.Form):
    version = _version_field()
    reason = forms.CharField(
        label="Why are you withdrawing this referral?",
        max_length=WITHDRAW_REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The unit sees this reason, for example “Victim has moved out of the area and been referred "
        "to the local service”.",
        error_messages={
            "required": "Enter why you are withdrawing the referral.",
            "max_length": f"Keep the reason to {WITHDRAW_REASON_MAX_LENGTH} characters or fewer.",
        },
    )
