"""Forms of the legal actions pages: an event of the criminal-justice record, an order, a breach."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django import forms
from django.utils import timezone

from masip.interventions.models_legal import BailAuthority, ChargeDecision, Offence, Order, OrderKind, OrderStatus
from masip.interventions.services_legal import OrderDraft

_DATE = forms.TextInput(attrs={"class": "govuk-input--width-10", "inputmode": "numeric"})
_DATE_HELP = "For example, 27/3/2026."


def _date(label: str, required: bool = True, help_text: str = _DATE_HELP) -> forms.DateField:
    return forms.DateField(label=label, required=required, help_text=help_text, widget=_DATE)


class JusticeEvent:
    ARREST = "arrest", "Arrest"
    BAIL = "bail", "Released on pre-charge bail"
    BAIL_EXTEND = "bail_extend", "Bail extended"
    BAIL_CONDITIONS = "bail_conditions", "Bail conditions changed"
    RUI = "rui", "Released under investigation"
    CHARGE = "charge", "Charging decision"
    COURT = "court", "Court date set"
    OUTCOME = "outcome", "Outcome"

    choices = [ARREST, BAIL, BAIL_EXTEND, BAIL_CONDITIONS, RUI, CHARGE, COURT, OUTCOME]


class JusticeEventForm(forms.Form):
    """One thing that happened in the criminal-justice process. Only the fields the event needs
    are read; the service says which are missing or wrong."""

    event = forms.ChoiceField(label="What happened", choices=JusticeEvent.choices, widget=forms.RadioSelect)
    occurred_on = _date("Date", required=False, help_text="The day it happened or was decided. " + _DATE_HELP)
    occurred_time = forms.TimeField(
        label="Time",
        required=False,
        help_text="Arrests and court dates, 24-hour clock, for example 14:30.",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-5"}),
    )
    conditions = forms.CharField(
        label="Bail conditions", required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )
    until = _date("Bail extended to", required=False)
    authority = forms.ChoiceField(label="Extension authorised by", choices=BailAuthority.choices, required=False)
    authorised_by = forms.CharField(label="Name and rank, or court", required=False, max_length=200)
    decision = forms.ChoiceField(
        label="Charging decision", choices=[("", "Choose"), *ChargeDecision.choices], required=False
    )
    hearing = forms.CharField(label="Hearing", required=False, max_length=200, help_text="For example, trial.")
    outcome = forms.CharField(
        label="Outcome", required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        event = data.get("event")
        needs_date = event not in (None, JusticeEvent.BAIL_EXTEND[0], JusticeEvent.OUTCOME[0])
        if needs_date and not data.get("occurred_on"):
            self.add_error("occurred_on", "Enter the date.")
        if event == JusticeEvent.BAIL_EXTEND[0] and not data.get("until"):
            self.add_error("until", "Enter the day bail is extended to.")
        return data

    def moment(self) -> datetime:
        day = self.cleaned_data["occurred_on"]
        return timezone.make_aware(datetime.combine(day, self.cleaned_data.get("occurred_time") or time(0, 0)))


class OffencesForm(forms.Form):
    considered = forms.MultipleChoiceField(
        label="Offences considered", choices=Offence.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    charged = forms.MultipleChoiceField(
        label="Offences charged", choices=Offence.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    other_offence = forms.CharField(label="Other offence", required=False, max_length=500)


class OrderForm(forms.Form):
    kind = forms.ChoiceField(label="Kind of order", choices=OrderKind.choices, widget=forms.RadioSelect)
    status = forms.ChoiceField(label="Status", choices=OrderStatus.choices, widget=forms.RadioSelect)
    starts_on = _date("Starts on")
    ends_on = _date(
        "Ends on",
        required=False,
        help_text="A Stalking Protection Order lasts at least two years. An interim order may have no end. "
        + _DATE_HELP,
    )
    until_further_order = forms.BooleanField(label="Until further order", required=False)
    conditions = forms.CharField(
        label="Conditions (prohibitions)", required=False, widget=forms.Textarea(attrs={"rows": 4}), max_length=5000
    )
    positive_requirements = forms.CharField(
        label="Positive requirements",
        required=False,
        help_text="Stalking Protection Orders only, for example attending an intervention programme.",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )
    notified_on = _date(
        "Subject notified the police on",
        required=False,
        help_text="Stalking Protection Orders: within 3 days of the order. " + _DATE_HELP,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def draft(self) -> OrderDraft:
        data = self.cleaned_data
        return OrderDraft(
            kind=data["kind"],
            status=data["status"],
            starts_on=data["starts_on"],
            ends_on=data.get("ends_on"),
            until_further_order=bool(data.get("until_further_order")),
            conditions=data.get("conditions") or "",
            positive_requirements=data.get("positive_requirements") or "",
            notified_on=data.get("notified_on"),
        )

    @staticmethod
    def initial_for(order: Order) -> dict[str, Any]:
        return {
            "kind": order.kind,
            "status": order.status,
            "starts_on": order.starts_on,
            "ends_on": order.ends_on,
            "until_further_order": order.until_further_order,
            "conditions": order.conditions,
            "positive_requirements": order.positive_requirements,
            "notified_on": order.notified_on,
            "version": order.version,
        }


class BreachForm(forms.Form):
    behaviour = forms.ChoiceField(
        label="What was breached",
        choices=[("breach_order", "A condition of the order"), ("breach_bail", "A bail condition")],
        widget=forms.RadioSelect,
        initial="breach_order",
    )
    occurred_on = _date("Date of the breach")
    description = forms.CharField(
        label="What happened", required=False, widget=forms.Textarea(attrs={"rows": 4}), max_length=10000
    )
