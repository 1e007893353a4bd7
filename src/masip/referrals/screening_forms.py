"""Forms of the unit's screening pages. They parse input; the rules live in referrals.services."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any, cast

from django import forms

from masip.core.forms import RequiredWhenCharField
from masip.referrals.models import FourAnswer, ReferralStatus, Screening, TriageDecision, Urgency
from masip.referrals.questions import CURRENT_QUESTION_SET
from masip.referrals.services import REASONS_MAX_LENGTH

MAX_AGE_DAYS = 3650
EARLIEST, LATEST = date(1900, 1, 1), date(2099, 12, 31)
MAX_VERSION = 2**31 - 1  # a version beyond any a record reaches: the database's integer range
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d %m %Y"]
DATE_HINT = "For example, 27/3/2026"
# A hidden version that is missing or mangled: the page was not the one masip sent.
_STALE = "This form is out of date. Nothing was saved: reload the page and try again."
STALE_FORM = {"required": _STALE, "invalid": _STALE, "min_value": _STALE, "max_value": _STALE}
UNASSIGNED = "unassigned"
ME = "me"


class BoundedDateField(forms.DateField):
    """A date within the years a referral can have been received in: a far-off year is a typing
    mistake, and past the calendar's end it cannot even be searched for."""

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value is not None and not EARLIEST <= value <= LATEST:
            raise forms.ValidationError(
                f"Enter a date between {EARLIEST:%-d/%-m/%Y} and {LATEST:%-d/%-m/%Y}.", code="out_of_range"
            )


def _date_field(label: str) -> forms.DateField:
    return BoundedDateField(
        label=label,
        required=False,
        input_formats=DATE_FORMATS,
        help_text=DATE_HINT,
        widget=forms.DateInput(attrs={"class": "govuk-input--width-10", "inputmode": "numeric"}),
        error_messages={"invalid": f"Enter a real date as day/month/year. {DATE_HINT}."},
    )


def _days_field(label: str, help_text: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=0,
        max_value=MAX_AGE_DAYS,
        help_text=help_text,
        widget=forms.TextInput(attrs={"class": "govuk-input--width-3", "inputmode": "numeric"}),
        error_messages={
            "invalid": "Enter a number of days, like 7.",
            "min_value": "Enter a number of days of 0 or more.",
            "max_value": f"Enter a number of days of {MAX_AGE_DAYS} or fewer.",
        },
    )


class QueueFilterForm(forms.Form):
    """Filters of the screening queue and the period its counts cover. Every field is optional;
    a value that does not parse is reported and left out, the others still apply."""

    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[
            ("", "Waiting for a decision"),
            (ReferralStatus.RECEIVED.value, ReferralStatus.RECEIVED.label),
            (ReferralStatus.SCREENING.value, ReferralStatus.SCREENING.label),
            (ReferralStatus.DECIDED.value, ReferralStatus.DECIDED.label),
            (ReferralStatus.WITHDRAWN.value, ReferralStatus.WITHDRAWN.label),
        ],
        error_messages={"invalid_choice": "Choose a status from the list."},
    )
    urgency = forms.ChoiceField(
        label="Urgency",
        required=False,
        choices=[("", "Any urgency"), *Urgency.choices],
        error_messages={"invalid_choice": "Choose an urgency from the list."},
    )
    screener = forms.ChoiceField(
        label="Screener",
        required=False,
        error_messages={"invalid_choice": "Choose a screener from the list."},
    )
    received_within = _days_field("Received in the last", "Number of days")
    older_than = _days_field("Received more than", "Number of days ago")
    received_from = _date_field("Received on or after")
    received_to = _date_field("Received on or before")
    overdue = forms.BooleanField(label="Overdue only", required=False)
    period_from = _date_field("Counts from")
    period_to = _date_field("Counts to")

    def __init__(self, *args: Any, screeners: Iterable[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.screeners = {str(user.pk): user for user in screeners}
        field = cast(forms.ChoiceField, self.fields["screener"])
        field.choices = [
            ("", "Anyone or no one"),
            (UNASSIGNED, "Not yet assigned"),
            (ME, "Assigned to me"),
            *((pk, str(user)) for pk, user in self.screeners.items()),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("received_from"), data.get("received_to")
        if start and end and start > end:
            self.add_error("received_to", "The “received on or before” date must be on or after the other date.")
        period_from, period_to = data.get("period_from"), data.get("period_to")
        if period_from and period_to and period_from > period_to:
            self.add_error("period_to", "The end of the counts period must be on or after its start.")
        return data

    def value(self, name: str) -> Any:
        """The cleaned value of a field that parsed, else None (bad values are left out)."""
        data = getattr(self, "cleaned_data", {})
        if name in self.errors:
            return None
        return data.get(name)

    def queue_filters(self, *, user: Any, today: date) -> dict[str, Any]:
        """Keyword arguments for `screening_queue` from the values that parsed."""
        filters: dict[str, Any] = {}
        if self.value("status"):
            filters["status"] = self.value("status")
        if self.value("urgency"):
            filters["urgency"] = self.value("urgency")
        screener = self.value("screener")
        if screener == UNASSIGNED:
            filters["unassigned"] = True
        elif screener == ME:
            filters["screener"] = user
        elif screener:
            filters["screener"] = self.screeners[screener]
        starts = [d for d in (self.value("received_from"),) if d]
        ends = [d for d in (self.value("received_to"),) if d]
        if self.value("received_within") is not None:
            starts.append(today - timedelta(days=self.value("received_within")))
        if self.value("older_than") is not None:
            ends.append(today - timedelta(days=self.value("older_than") + 1))
        if starts:
            filters["received_from"] = max(starts)
        if ends:
            filters["received_to"] = min(ends)
        if self.value("overdue"):
            filters["overdue_only"] = True
        return filters

    def period(self, *, today: date) -> tuple[date, date]:
        """The counts period: as chosen, else from the first of this month to today."""
        start = self.value("period_from") or today.replace(day=1)
        end = self.value("period_to") or max(today, start)
        return start, end


class AssignScreenerForm(forms.Form):
    screener = forms.ChoiceField(
        label="Screener",
        error_messages={
            "required": "Choose who will screen this referral.",
            "invalid_choice": "Choose a screener from the list: only members who may screen this unit's referrals.",
        },
    )
    expected_version = forms.IntegerField(
        widget=forms.HiddenInput, min_value=1, max_value=MAX_VERSION, error_messages=STALE_FORM
    )

    def __init__(self, *args: Any, screeners: Iterable[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.screeners = {str(user.pk): user for user in screeners}
        field = cast(forms.ChoiceField, self.fields["screener"])
        field.choices = [("", "Choose a screener"), *((pk, str(user)) for pk, user in self.screeners.items())]


FOUR_QUESTIONS = {
    "fixated": (
        "Fixated",
        "Is the suspect's attention fixed on the victim: do they keep coming back to them?",
    ),
    "obsessive": (
        "Obsessive",
        "Does the behaviour seem obsessive: persistent, intense, hard for the suspect to let go of?",
    ),
    "unwanted": ("Unwanted", "Is the attention or contact unwanted by the victim?"),
    "repeated": ("Repeated", "Has it happened more than once (a course of conduct)?"),
}


class ScreeningForm(forms.Form):
    """The FOUR check, masip's own screening questions, and harassment rather than stalking."""

    harassment_not_stalking = forms.BooleanField(
        label="The conduct is harassment rather than stalking",
        required=False,
        help_text="Think stalking first: choose this only when the FOUR pattern is not there.",
        widget=forms.CheckboxInput(attrs={"data-aria-controls": "conditional-harassment-reason"}),
    )
    harassment_reason = RequiredWhenCharField(
        label="Why is it harassment rather than stalking?",
        max_length=REASONS_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": f"Keep the reason to {REASONS_MAX_LENGTH} characters or fewer."},
    )
    notes = forms.CharField(
        label="Screening notes",
        required=False,
        max_length=REASONS_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"max_length": f"Keep the notes to {REASONS_MAX_LENGTH} characters or fewer."},
    )
    screening_version = forms.IntegerField(
        required=False, widget=forms.HiddenInput, min_value=1, max_value=MAX_VERSION, error_messages=STALE_FORM
    )

    def __init__(self, *args: Any, screening: Screening | None = None, **kwargs: Any) -> None:
        if screening is not None and not args and "data" not in kwargs:
            kwargs["initial"] = {
                **{name: getattr(screening, name) for name in FOUR_QUESTIONS},
                **{f"q_{key}": value for key, value in screening.answers.items()},
                "harassment_not_stalking": screening.harassment_not_stalking,
                "harassment_reason": screening.harassment_reason,
                "notes": screening.notes,
                "screening_version": screening.version,
            }
        super().__init__(*args, **kwargs)
        answers = [(value, label) for value, label in FourAnswer.choices]
        for name, (title, wording) in FOUR_QUESTIONS.items():
            self.fields[name] = forms.ChoiceField(
                label=f"{title}: {wording}",
                choices=answers,
                widget=forms.RadioSelect,
                error_messages={
                    "required": f"Answer whether the conduct is {title.lower()}: yes, no or not known.",
                    "invalid_choice": f"Answer whether the conduct is {title.lower()}: yes, no or not known.",
                },
            )
        for question in CURRENT_QUESTION_SET.questions:
            self.fields[f"q_{question.id}"] = forms.ChoiceField(
                label=question.text,
                choices=answers,
                widget=forms.RadioSelect,
                error_messages={
                    "required": f"Answer the question on {question.theme}: yes, no or not known.",
                    "invalid_choice": f"Answer the question on {question.theme}: yes, no or not known.",
                },
            )
        self.order_fields([*FOUR_QUESTIONS, "harassment_not_stalking", "harassment_reason"])

    def four_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in FOUR_QUESTIONS]

    def question_fields(self) -> list[forms.BoundField]:
        return [self[f"q_{q.id}"] for q in CURRENT_QUESTION_SET.questions]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("harassment_not_stalking") and not (data.get("harassment_reason") or "").strip():
            self.add_error("harassment_reason", "Explain why the conduct is harassment rather than stalking.")
        return data

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            **{name: data[name] for name in FOUR_QUESTIONS},
            "answers": {q.id: data[f"q_{q.id}"] for q in CURRENT_QUESTION_SET.questions},
            "harassment_not_stalking": bool(data["harassment_not_stalking"]),
            "harassment_reason": data["harassment_reason"],
            "notes": data["notes"],
            "expected_version": data["screening_version"],
        }


class RevealingRadioSelect(forms.RadioSelect):
    """Radios where choosing an option reveals more questions (GOV.UK conditional reveal)."""

    def __init__(self, *args: Any, reveals: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reveals = reveals

    def create_option(self, name: str, value: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(name, value, *args, **kwargs)
        if str(value) in self.reveals:
            option["attrs"] = {**option["attrs"], "data-aria-controls": self.reveals[str(value)]}
        return option


ADVICE_REVEAL_ID = "conditional-advice"


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label="Triage decision",
        choices=TriageDecision.choices,
        widget=RevealingRadioSelect(reveals={TriageDecision.PARTNER_MANAGED.value: ADVICE_REVEAL_ID}),
        error_messages={
            "required": "Choose a decision: accepted, partner-managed, signposted or no further action.",
            "invalid_choice": "Choose a decision: accepted, partner-managed, signposted or no further action.",
        },
    )
    reasons = forms.CharField(
        label="Reasons for the decision",
        help_text="The unit's record of why. The referrer does not see this.",
        max_length=REASONS_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={
            "required": "Give the reasons for the decision.",
            "max_length": f"Reasons can be at most {REASONS_MAX_LENGTH} characters.",
        },
    )
    advice = RequiredWhenCharField(
        label="Advice to the referrer",
        help_text="The referrer reads this advice in masip: write it for them.",
        max_length=REASONS_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"max_length": f"Advice can be at most {REASONS_MAX_LENGTH} characters."},
    )
    expected_version = forms.IntegerField(
        widget=forms.HiddenInput, min_value=1, max_value=MAX_VERSION, error_messages=STALE_FORM
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == TriageDecision.PARTNER_MANAGED and not (data.get("advice") or "").strip():
            self.add_error("advice", "Write the advice the unit gives the referrer: they will read it.")
        return data


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label="Why is the referral being withdrawn?",
        help_text="For example, “Sent to us in error: the victim lives outside the unit's area.”",
        max_length=REASONS_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": "Say why the referral is being withdrawn.",
            "max_length": f"Keep the reason to {REASONS_MAX_LENGTH} characters or fewer.",
        },
    )
    expected_version = forms.IntegerField(
        widget=forms.HiddenInput, min_value=1, max_value=MAX_VERSION, error_messages=STALE_FORM
    )
