"""Forms of the timeline entry pages. They parse what was typed; the rules an entry must meet
on its case live in timeline.services (`EntryRules`)."""

from __future__ import annotations

from datetime import date, time
from typing import Any, cast

from django import forms
from django.utils import timezone

from masip.access.policy import Compartment
from masip.cases.models import ParallelProcess
from masip.core.csvfile import parse_date
from masip.evidence.models import EvidenceItem
from masip.referrals.referrer_forms import DateInputWidget, GovukDateField
from masip.timeline.imports import parse_time
from masip.timeline.models import ReportedBy
from masip.timeline.services import DESCRIPTION_MAX_LENGTH, LOCATION_MAX_LENGTH, MAX_INCIDENTS, EntryDraft

BULK_ROWS_DEFAULT = 10
BULK_ROWS_STEP = 10
BULK_ROWS_MAX = 100
BULK_DESCRIPTION_MAX_LENGTH = 500

Grouped = list[tuple[str, list[tuple[str, str]]]]


def _date(subject: str, *, required: bool, future: str, label: str, help_text: str = "") -> GovukDateField:
    return GovukDateField(
        subject=subject,
        future_message=future,
        required=required,
        label=label,
        **({"help_text": help_text} if help_text else {}),
    )


def _compartment_field(offered: list[Compartment]) -> forms.ChoiceField:
    return forms.ChoiceField(
        label="Who may read this entry",
        choices=[(c.value, c.label) for c in offered],
        widget=forms.RadioSelect,
        initial=Compartment.TEAM.value if Compartment.TEAM in offered else None,
        error_messages={
            "required": "Choose who may read this entry.",
            "invalid_choice": "Choose who may read this entry.",
        },
    )


def order_label(process: ParallelProcess) -> str:
    return f"{process.get_kind_display()} ({process.lead_agency}, from {process.started_on:%d/%m/%Y})"


class _GovukDates(forms.Form):
    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            field = self.fields.get(name)
            if field is not None and isinstance(field.widget, DateInputWidget):
                field.widget.has_error = True


class EntryForm(_GovukDates):
    """One entry: when (a day, with an exact time or as the first day of a range), what, how many
    times, who reported it and when, where, and what links to it."""

    occurred_on = _date(
        "Date it happened",
        required=True,
        label="When did it happen?",
        future="The date it happened must be today or in the past.",
        help_text="The day, or the first day of a range. For example, 27 3 2025",
    )
    occurred_time = forms.TimeField(
        label="Exact time",
        required=False,
        input_formats=["%H:%M", "%H.%M", "%H:%M:%S"],
        help_text="Only if known, on the 24-hour clock, for example 21:30. Leave empty for a range.",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-5", "inputmode": "numeric", "autocomplete": "off"}),
        error_messages={"invalid": "Enter the time as HH:MM on the 24-hour clock, for example 21:30."},
    )
    occurred_until = _date(
        "Last day of the range",
        required=False,
        label="Until",
        future="The last day of the range must be today or in the past.",
        help_text="Only for something that went on over several days, for example most evenings in March.",
    )
    behaviours = forms.MultipleChoiceField(
        label="What happened",
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Choose at least one behaviour.",
            "invalid_choice": "Choose behaviours from the list; “%(value)s” is no longer offered.",
        },
    )
    incidents = forms.IntegerField(
        label="How many times",
        min_value=1,
        max_value=MAX_INCIDENTS,
        initial=1,
        help_text="For example 40 for forty messages on that day.",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-4", "inputmode": "numeric"}),
        error_messages={
            "required": "Enter how many times it happened (1 if once).",
            "invalid": "Enter how many times as a whole number, for example 3.",
            "min_value": "How many times must be at least 1.",
            "max_value": f"How many times can be at most {MAX_INCIDENTS:,}. Split a longer period into entries.",
        },
    )
    reported_by = forms.ChoiceField(
        label="Who reported it",
        choices=[("", "Choose who reported it"), *ReportedBy.choices],
        error_messages={"required": "Choose who reported it."},
    )
    reported_on = _date(
        "Date it was reported",
        required=False,
        label="When was it reported?",
        future="The date it was reported must be today or in the past.",
    )
    location = forms.CharField(
        label="Where",
        required=False,
        max_length=LOCATION_MAX_LENGTH,
        error_messages={"max_length": f"The location can be at most {LOCATION_MAX_LENGTH} characters."},
    )
    description = forms.CharField(
        label="What happened, in the victim's or reporter's words",
        required=False,
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"max_length": f"The description can be at most {DESCRIPTION_MAX_LENGTH:,} characters."},
    )
    evidence = forms.MultipleChoiceField(
        label="Exhibits that show it",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Choose exhibits from this case's evidence."},
    )
    order_breached = forms.ChoiceField(
        label="Order or condition breached",
        required=False,
        help_text="If this was a breach, choose the order (for example a Stalking Protection Order).",
    )

    def __init__(
        self,
        *args: Any,
        behaviours: Grouped,
        evidence: list[EvidenceItem],
        orders: list[ParallelProcess],
        offered: list[Compartment] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.behaviour_groups = behaviours
        cast(forms.ChoiceField, self.fields["behaviours"]).choices = behaviours
        cast(forms.ChoiceField, self.fields["evidence"]).choices = [
            (str(e.pk), f"{e.exhibit_ref} ({e.get_kind_display()})") for e in evidence
        ]
        cast(forms.ChoiceField, self.fields["order_breached"]).choices = [("", "None")] + [
            (str(p.pk), order_label(p)) for p in orders
        ]
        if offered is not None:
            self.fields["compartment"] = _compartment_field(offered)

    def grouped_behaviours(self) -> list[tuple[str, list[Any]]]:
        """The behaviour checkboxes, by group, for one fieldset per group."""
        options = {option.data["value"]: option for option in self["behaviours"].subwidgets}
        return [(label, [options[code] for code, _ in choices]) for label, choices in self.behaviour_groups]

    def draft(self) -> EntryDraft:
        data = self.cleaned_data
        return EntryDraft(
            occurred_on=data["occurred_on"],
            occurred_until=data.get("occurred_until"),
            occurred_time=data.get("occurred_time"),
            behaviour_codes=data["behaviours"],
            incidents=data["incidents"],
            reported_by=data["reported_by"],
            reported_on=data.get("reported_on"),
            location=data.get("location", ""),
            description=data.get("description", ""),
            evidence_ids=data.get("evidence", []),
            order_id=data.get("order_breached") or None,
        )

    @staticmethod
    def initial_for(entry: Any) -> dict[str, Any]:
        local = timezone.localtime(entry.occurred_at) if entry.occurred_at else None
        return {
            "occurred_on": entry.occurred_on,
            "occurred_time": local.time().strftime("%H:%M") if local else None,
            "occurred_until": entry.occurred_until,
            "behaviours": [b.code for b in entry.behaviours.all()],
            "incidents": entry.incidents,
            "reported_by": entry.reported_by,
            "reported_on": entry.reported_on,
            "location": entry.location,
            "description": entry.description,
            "evidence": [str(e.pk) for e in entry.evidence.all()],
            "order_breached": str(entry.order_breached_id or ""),
            "version": entry.version,
        }


class EntryEditForm(EntryForm):
    version = forms.IntegerField(widget=forms.HiddenInput)


# The bulk page ------------------------------------------------------------------------------------


class BulkCommonForm(_GovukDates):
    """What every row of a batch shares: who reported it, when, and who may read the entries."""

    reported_by = forms.ChoiceField(
        label="Who reported these",
        choices=[("", "Choose who reported them"), *ReportedBy.choices],
        error_messages={"required": "Choose who reported these incidents."},
    )
    reported_on = _date(
        "Date they were reported",
        required=False,
        label="When were they reported?",
        future="The date they were reported must be today or in the past.",
    )

    def __init__(self, *args: Any, offered: list[Compartment], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["compartment"] = _compartment_field(offered)


class BulkRow:
    """One row of the bulk page: what was typed, and what is wrong with it."""

    FIELDS = ("date", "time", "behaviour", "count", "description")

    def __init__(self, index: int, values: dict[str, str]) -> None:
        self.index = index
        self.number = index + 1
        self.values = values
        self.errors: list[str] = []
        self.draft: EntryDraft | None = None

    @classmethod
    def from_data(cls, data: Any, index: int) -> BulkRow:
        return cls(index, {name: str(data.get(f"row-{index}-{name}", "")).strip() for name in cls.FIELDS})

    @property
    def blank(self) -> bool:
        return not any(self.values[name] for name in ("date", "time", "behaviour", "description"))

    def name(self, field: str) -> str:
        return f"row-{self.index}-{field}"

    def parse(self, *, reported_by: str, reported_on: date | None, known_codes: set[str]) -> None:
        """Check the form of the row's cells (its rules on the case are the service's)."""
        errors: list[str] = []
        if not self.values["date"]:
            errors.append("Enter the date it happened.")
        occurred_on = parse_date(self.values["date"], "date", errors)
        occurred_time: time | None = parse_time(self.values["time"], "time", errors)
        behaviour = self.values["behaviour"]
        if not behaviour:
            errors.append("Choose what happened.")
        elif behaviour not in known_codes:
            errors.append("Choose what happened from the list.")
        count = self.values["count"] or "1"
        incidents: int | None = None
        if count.isdigit():
            incidents = int(count)
        else:
            errors.append(f"Enter how many times as a whole number, not “{count}”.")
        if len(self.values["description"]) > BULK_DESCRIPTION_MAX_LENGTH:
            errors.append(f"The description can be at most {BULK_DESCRIPTION_MAX_LENGTH} characters on this page.")
        self.errors = errors
        if not errors:
            self.draft = EntryDraft(
                occurred_on=occurred_on,
                occurred_time=occurred_time,
                behaviour_codes=[behaviour],
                incidents=incidents,
                reported_by=reported_by,
                reported_on=reported_on,
                description=self.values["description"],
            )


def bulk_rows_from(data: Any) -> list[BulkRow]:
    """The rows the page posted (at most BULK_ROWS_MAX)."""
    try:
        count = int(data.get("rows", BULK_ROWS_DEFAULT))
    except (TypeError, ValueError):
        count = BULK_ROWS_DEFAULT
    count = max(1, min(count, BULK_ROWS_MAX))
    return [BulkRow.from_data(data, index) for index in range(count)]


def bulk_rows_blank(count: int = BULK_ROWS_DEFAULT) -> list[BulkRow]:
    return [BulkRow(index, dict.fromkeys(BulkRow.FIELDS, "")) for index in range(count)]


# Filters and upload -------------------------------------------------------------------------------


class EntryFilterForm(forms.Form):
    """The table's filters (a GET form): a group or one behaviour, dates, a compartment."""

    group = forms.ChoiceField(label="Behaviour group", required=False)
    behaviour = forms.ChoiceField(label="Behaviour", required=False)
    date_from = forms.DateField(
        label="From",
        required=False,
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        help_text="DD/MM/YYYY",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10", "inputmode": "numeric"}),
        error_messages={"invalid": "Enter the first date as DD/MM/YYYY, for example 01/03/2025."},
    )
    date_to = forms.DateField(
        label="To",
        required=False,
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        help_text="DD/MM/YYYY",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10", "inputmode": "numeric"}),
        error_messages={"invalid": "Enter the last date as DD/MM/YYYY, for example 31/03/2025."},
    )
    compartment = forms.ChoiceField(label="Compartment", required=False)

    def __init__(self, *args: Any, groups: dict[str, str], behaviours: Grouped, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["group"]).choices = [("", "All groups"), *groups.items()]
        cast(forms.ChoiceField, self.fields["behaviour"]).choices = [("", "All behaviours"), *behaviours]
        cast(forms.ChoiceField, self.fields["compartment"]).choices = [("", "All you can read"), *Compartment.choices]


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label="Incident log (CSV file)",
        error_messages={"required": "Choose the CSV file of the incident log.", "empty": "The file is empty."},
    )

    def __init__(self, *args: Any, offered: list[Compartment], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["compartment"] = _compartment_field(offered)
