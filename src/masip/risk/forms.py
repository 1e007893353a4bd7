"""Forms of the assessment pages. The answer form is built from the instrument version's
definition; it only parses what was sent. The rules (which answers fit, what is required to
complete, the level judgement may set) live in risk.services."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms

from masip.core.forms import RequiredWhenCharField, RequiredWhenChoiceField
from masip.risk.definition import YES_NO_ANSWERS, Condition, Definition, Item, ItemType
from masip.risk.models import Assessment, RiskLevelChoice

ANSWER_PREFIX = "answer_"
YES_NO_CHOICES = [(value, value.capitalize()) for value in YES_NO_ANSWERS]
DATE_FORMATS = ["%d/%m/%Y", "%d/%m/%y", "%d %m %Y"]


class RequiredWhenMultipleChoiceField(forms.MultipleChoiceField):
    """Checkboxes that may be left empty in a draft, without the "(optional)" label: completing
    the assessment is what requires them."""

    def validate(self, value: Any) -> None:
        if value in self.empty_values:
            return
        super().validate(value)


def field_name(item_id: str) -> str:
    return f"{ANSWER_PREFIX}{item_id}"


def _condition_hint(definition: Definition, condition: Condition) -> str:
    source = definition.item(condition.item or "")
    if source is None:
        return ""
    answer = condition.equals or ""
    if source.type == ItemType.YES_NO:
        answer = answer.capitalize()
    elif (option := source.option(answer)) is not None:
        answer = option.label
    return f"Only if “{source.text}” is answered “{answer}”."


def _hint(definition: Definition, item: Item) -> str:
    parts = [item.help]
    if item.only_if is not None and item.only_if.item:
        parts.append(_condition_hint(definition, item.only_if))
    if item.type == ItemType.DATE:
        parts.append("For example, 27/03/2026.")
    return " ".join(part for part in parts if part)


def _field_for(definition: Definition, item: Item) -> forms.Field:
    # Required items are not labelled "(optional)", yet may be left blank in a draft: completing
    # the assessment is what requires them (the service names each one missing).
    common: dict[str, Any] = {"label": item.text, "help_text": _hint(definition, item), "required": item.required}
    if item.type == ItemType.YES_NO:
        return RequiredWhenChoiceField(choices=YES_NO_CHOICES, widget=forms.RadioSelect, **common)
    if item.type == ItemType.SINGLE_CHOICE:
        choices = [(o.value, o.label) for o in item.options]
        return RequiredWhenChoiceField(choices=choices, widget=forms.RadioSelect, **common)
    if item.type == ItemType.MULTIPLE_CHOICE:
        choices = [(o.value, o.label) for o in item.options]
        return RequiredWhenMultipleChoiceField(choices=choices, widget=forms.CheckboxSelectMultiple, **common)
    if item.type == ItemType.NUMBER:
        widget = forms.TextInput(attrs={"inputmode": "decimal", "class": "govuk-input--width-5"})
        return RequiredWhenCharField(widget=widget, max_length=40, **common)
    if item.type == ItemType.DATE:
        widget = forms.TextInput(attrs={"class": "govuk-input--width-10"})
        return RequiredWhenCharField(widget=widget, max_length=40, **common)
    return RequiredWhenCharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=10_000, **common)


def _as_iso_date(text: str) -> str:
    """A day typed the way people write it, in the stored ISO form; anything else as typed, so
    the engine's own message says what is wrong with it."""
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(text.strip(), pattern).date().isoformat()  # noqa: DTZ007 (a day, not a moment)
        except ValueError:
            continue
    return text.strip()


class AssessmentForm(forms.Form):
    """The answers of one instrument version, its sections in order, with the completion fields."""

    use_required_attribute = False  # a draft may be saved with questions still unanswered

    version = forms.IntegerField(widget=forms.HiddenInput)
    rationale = forms.CharField(
        label="Rationale",
        help_text="Your summary of the result: what the answers show and what should follow.",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=10_000,
    )
    judgement_level = forms.ChoiceField(
        label="Your professional judgement of the level",
        help_text=(
            "Leave this blank to keep the level the answers give. You may judge the risk higher than the "
            "answers give, with your reasons; never lower."
        ),
        choices=RiskLevelChoice.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    judgement_reason = forms.CharField(
        label="Why you judge the risk higher",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=10_000,
    )

    def __init__(self, *args: Any, definition: Definition, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.definition = definition
        for item in definition.items:
            self.fields[field_name(item.id)] = _field_for(definition, item)
        # The completion fields come after the questions.
        for name in ("rationale", "judgement_level", "judgement_reason"):
            self.fields[name] = self.fields.pop(name)
        if not definition.bands:
            level = self.fields["judgement_level"]
            level.label = "The level you judge the risk to be"
            level.help_text = "This instrument gives no score: the level is your judgement, explained in the rationale."

    @classmethod
    def initial_for(cls, assessment: Assessment) -> dict[str, Any]:
        initial: dict[str, Any] = {field_name(k): v for k, v in assessment.answers.items()}
        return {**initial, "version": assessment.version}

    def sections(self) -> list[tuple[Any, list[forms.BoundField]]]:
        return [(section, [self[field_name(i.id)] for i in section.items]) for section in self.definition.sections]

    def answers(self) -> dict[str, Any]:
        """The answers as sent, by item id, for the service to clean (it refuses what does not fit)."""
        answers: dict[str, Any] = {}
        for item in self.definition.items:
            value = self.cleaned_data.get(field_name(item.id))
            if item.type == ItemType.DATE and isinstance(value, str) and value:
                value = _as_iso_date(value)
            answers[item.id] = value
        return answers


class RaiseForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    level = forms.ChoiceField(
        label="The level you now judge the risk to be",
        choices=RiskLevelChoice.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the level you judge the risk to be."},
    )
    reason = forms.CharField(
        label="Your reasons",
        help_text="What you know that the answers do not show. The team will read this.",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=10_000,
        error_messages={"required": "Write why you judge the risk higher."},
    )


class StartForm(forms.Form):
    instrument_version = forms.CharField(widget=forms.HiddenInput)
