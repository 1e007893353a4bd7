"""Forms of the formulation pages, risk events and the unit's risk settings. They parse input;
the rules live in risk.formulation_services, risk.event_services and risk.current."""

from __future__ import annotations

from typing import Any

from django import forms

from masip.access.policy import Compartment
from masip.referrals.screening_forms import DATE_FORMATS, DATE_HINT, MAX_VERSION, STALE_FORM, BoundedDateField
from masip.risk.current import REASSESS_AFTER_EVENT_RANGE
from masip.risk.event_services import DETAILS_MAX_LENGTH
from masip.risk.formulation_services import DOMAINS, LABELS, MAX_SCENARIOS, TEXT_MAX_LENGTH, ScenarioInput
from masip.risk.models import CurrentRiskRule, Imminence, Likelihood, RiskEventKind, RiskLevelChoice, StalkerType


def _date(label: str) -> forms.DateField:
    return BoundedDateField(
        label=label,
        input_formats=DATE_FORMATS,
        help_text=DATE_HINT,
        widget=forms.DateInput(attrs={"class": "govuk-input--width-10", "inputmode": "numeric"}),
        error_messages={
            "required": f"Enter the {label.lower()}.",
            "invalid": f"Enter a real date as day/month/year. {DATE_HINT}.",
        },
    )


def _level(name: str, label: str | None = None) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label or LABELS[name],
        required=False,
        choices=RiskLevelChoice.choices,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": f"{label or LABELS[name]}: choose low, moderate or high."},
    )


def _text(name: str, help_text: str = "", rows: int = 3) -> forms.CharField:
    return forms.CharField(
        label=LABELS[name],
        required=False,
        help_text=help_text,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages={"max_length": f"{LABELS[name]}: at most {TEXT_MAX_LENGTH} characters."},
    )


class FormulationStartForm(forms.Form):
    compartment = forms.ChoiceField(
        label="Who may read this formulation",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose who may read the formulation."},
    )
    assessed_on = _date("Date of the formulation")

    def __init__(self, *args: Any, offered: list[Compartment], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = {
            Compartment.HEALTH: "Clinicians only (health compartment)",
            Compartment.TEAM: "The whole case team: choose this only for a formulation written to be shared",
        }
        self.fields["compartment"].choices = [(c.value, labels[c]) for c in offered]  # type: ignore[attr-defined]


class FormulationForm(forms.Form):
    """Every judgement of a formulation; none is required until it is completed."""

    assessed_on = _date("Date of the formulation")
    stalker_type = forms.ChoiceField(
        label=LABELS["stalker_type"],
        required=False,
        choices=StalkerType.choices,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose one of the five stalker types."},
    )
    stalker_type_reason = _text("stalker_type_reason", "Motivation and the relationship context that place them here.")
    violence = _level("violence")
    violence_rationale = _text("violence_rationale")
    persistence = _level("persistence")
    persistence_rationale = _text("persistence_rationale")
    recurrence = _level("recurrence")
    recurrence_rationale = _text("recurrence_rationale")
    psychosocial_damage = _level("psychosocial_damage")
    psychosocial_damage_rationale = _text("psychosocial_damage_rationale")
    victim_vulnerability = _text("victim_vulnerability", "What makes the victim more or less exposed.", rows=4)
    risk_status = _level("risk_status", "Risk status (long-run, compared with other stalkers)")
    risk_status_rationale = _text("risk_status_rationale", "Mostly static, historical factors.")
    risk_state = _level("risk_state", "Risk state (now)")
    risk_state_rationale = _text(
        "risk_state_rationale", "Dynamic factors. The risk state sets the case's current risk."
    )
    recommendations = _text("recommendations", rows=5)
    version = forms.IntegerField(
        widget=forms.HiddenInput, min_value=1, max_value=MAX_VERSION, error_messages=STALE_FORM
    )

    domains = DOMAINS

    def values(self) -> dict[str, Any]:
        return {name: value for name, value in self.cleaned_data.items() if name != "version"}


class ScenarioForm(forms.Form):
    description = forms.CharField(
        label="What could happen",
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    likelihood = forms.ChoiceField(label="Likelihood", required=False, choices=[("", "Choose"), *Likelihood.choices])
    imminence = forms.ChoiceField(label="How soon", required=False, choices=[("", "Choose"), *Imminence.choices])
    management = forms.CharField(
        label="Management recommendations",
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    DELETE = forms.BooleanField(label="Remove this scenario", required=False)

    def scenario(self) -> ScenarioInput | None:
        data = self.cleaned_data
        if not data or data.get("DELETE"):
            return None
        return ScenarioInput(data["description"], data["likelihood"], data["imminence"], data["management"])


ScenarioFormSet = forms.formset_factory(
    ScenarioForm, extra=1, max_num=MAX_SCENARIOS, validate_max=True, absolute_max=MAX_SCENARIOS + 5
)


def scenarios_of(formset: Any) -> list[ScenarioInput]:
    return [s for s in (form.scenario() for form in formset.forms) if s is not None]


class RiskEventForm(forms.Form):
    kind = forms.ChoiceField(
        label="What happened",
        choices=RiskEventKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what kind of event it was."},
    )
    occurred_on = _date("Date of the event")
    details = forms.CharField(
        label="Details",
        required=False,
        max_length=DETAILS_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Only people allowed the compartment you choose can read them.",
        error_messages={"max_length": f"The details can be at most {DETAILS_MAX_LENGTH} characters."},
    )
    compartment = forms.ChoiceField(
        label="Who may see this event",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose who may see this event."},
    )

    def __init__(self, *args: Any, offered: list[Compartment], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["compartment"].choices = [(c.value, c.label) for c in offered]  # type: ignore[attr-defined]


class RiskSettingsForm(forms.Form):
    current_risk_rule = forms.ChoiceField(
        label="A case's current risk is",
        choices=CurrentRiskRule.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how the case's current risk is worked out."},
    )
    reassess_after_event_working_days = forms.IntegerField(
        label="Re-assess after a risk event within",
        help_text="Working days after the event (or after it is recorded, if later).",
        min_value=REASSESS_AFTER_EVENT_RANGE[0],
        max_value=REASSESS_AFTER_EVENT_RANGE[1],
        widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "govuk-input--width-3"}),
        error_messages={
            "required": "Enter a number of working days.",
            "invalid": "Enter a whole number of working days, like 2.",
            "min_value": f"Enter at least {REASSESS_AFTER_EVENT_RANGE[0]} working day.",
            "max_value": f"Enter at most {REASSESS_AFTER_EVENT_RANGE[1]} working days.",
        },
    )
