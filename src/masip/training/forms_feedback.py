"""The public feedback form: a role (optional), confidence before and after for each learning
outcome on the delivery's agenda (1 to 5), and comments. The form carries a signed one-time key,
so that the same form sent twice is stored once."""

from __future__ import annotations

import secrets
from typing import Any

from django import forms
from django.core import signing

from masip.training.models import AttendeeRole, Delivery, LearningOutcome
from masip.training.selectors_feedback import TopicOutcomes

COMMENTS_MAX = 2000
NONCE_SALT = "masip.training.feedback.nonce"

CONFIDENCE_CHOICES = [
    ("1", "1 (not at all confident)"),
    ("2", "2"),
    ("3", "3"),
    ("4", "4"),
    ("5", "5 (very confident)"),
]


def new_form_key(delivery: Delivery) -> str:
    """A one-time key for a feedback form of `delivery`: random, signed so that it cannot be
    forged, and bound to the delivery so that it cannot be replayed on another one."""
    return signing.dumps({"d": delivery.pk, "n": secrets.token_urlsafe(24)}, salt=NONCE_SALT)


def nonce_of(form_key: str, delivery: Delivery) -> str | None:
    """The random part of a form key given out for `delivery`; None if forged or for another."""
    try:
        payload = signing.loads(form_key, salt=NONCE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict) or payload.get("d") != delivery.pk:
        return None
    nonce = payload.get("n")
    return nonce if isinstance(nonce, str) and 0 < len(nonce) <= 64 else None


class FeedbackForm(forms.Form):
    form_key = forms.CharField(widget=forms.HiddenInput, error_messages={"required": "This form could not be read."})
    role = forms.ChoiceField(
        label="Which role did you come in?",
        choices=AttendeeRole.choices,
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose one of the roles listed, or leave the question unanswered."},
    )
    comments = forms.CharField(
        label="Any comments on the session",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=f"Up to {COMMENTS_MAX} characters. Please do not name anyone.",
        strip=True,
    )

    def __init__(self, *args: Any, delivery: Delivery, topics: list[TopicOutcomes], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.delivery = delivery
        self.topics = topics
        self.sections: list[dict[str, Any]] = []
        comments = self.fields.pop("comments")
        for group in topics:
            rows = []
            for outcome in group.outcomes:
                rows.append(
                    {
                        "outcome": outcome,
                        "before": self._rating_field(outcome, "before", "before the session"),
                        "after": self._rating_field(outcome, "after", "after the session"),
                    }
                )
            self.sections.append({"topic": group.topic, "rows": rows})
        self.fields["comments"] = comments
        for section in self.sections:
            for row in section["rows"]:
                row["before_field"] = self[row["before"]]
                row["after_field"] = self[row["after"]]

    def _rating_field(self, outcome: LearningOutcome, when: str, words: str) -> str:
        name = f"{when}_{outcome.pk}"
        self.fields[name] = forms.ChoiceField(
            label=f"{outcome.text}: how confident were you {words}?",
            choices=CONFIDENCE_CHOICES,
            widget=forms.RadioSelect,
            error_messages={
                "required": f"Select how confident you were {words} about “{outcome.text}”.",
                "invalid_choice": (
                    f"Choose a number, 1 to 5, for how confident you were {words} about “{outcome.text}”."
                ),
            },
        )
        return name

    def clean_comments(self) -> str:
        comments: str = self.cleaned_data.get("comments", "")
        if len(comments) > COMMENTS_MAX:
            raise forms.ValidationError(
                f"Comments must be {COMMENTS_MAX} characters or fewer (these are {len(comments)}): shorten them.",
                code="max_length",
            )
        return comments

    def clean_form_key(self) -> str:
        nonce = nonce_of(self.cleaned_data["form_key"], self.delivery)
        if nonce is None:
            raise forms.ValidationError(
                "This form could not be read: open the feedback link again and fill in the new form.",
                code="bad_key",
            )
        return nonce

    def ratings(self) -> list[tuple[LearningOutcome, int, int]]:
        """(outcome, before, after) for each outcome, once the form is valid."""
        return [
            (row["outcome"], int(self.cleaned_data[row["before"]]), int(self.cleaned_data[row["after"]]))
            for section in self.sections
            for row in section["rows"]
        ]
