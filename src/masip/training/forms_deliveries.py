"""Forms of training deliveries: booking and changing one, and its attendance."""

from __future__ import annotations

from typing import Any

from django import forms

from masip.core.forms import NativeDateInput
from masip.training.forms_enquiries import AudienceMixin, _limited
from masip.training.models import (
    AttendeeRole,
    Delivery,
    DeliveryMode,
    DeliveryStatus,
    Enquiry,
    OrganisationKind,
    UkRegion,
)
from masip.training.services_deliveries import COUNT_MAX, CountRow, DeliveryDraft, NamedRow


class _Named(forms.ModelMultipleChoiceField[Any]):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.full_name or obj.email)


class DeliveryForm(AudienceMixin):
    organisation: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label="Organisation",
        queryset=None,
        required=False,
        empty_label="A new organisation (enter its name below)",
    )
    organisation_name = forms.CharField(
        label="New organisation's name",
        required=False,
        help_text="Only if it is not in the list. An organisation of the same name is used if there is one.",
        **_limited(200, "The organisation's name"),
    )
    organisation_kind = forms.ChoiceField(
        label="New organisation's kind", required=False, choices=[("", "Choose"), *OrganisationKind.choices]
    )
    organisation_region = forms.ChoiceField(
        label="New organisation's region", required=False, choices=[("", "Choose"), *UkRegion.choices]
    )
    title = forms.CharField(label="Title", **_limited(200, "The title", "Enter a title for the delivery."))
    date = forms.DateField(
        label="Date",
        widget=NativeDateInput(),
        error_messages={
            "required": "Enter the date of the delivery.",
            "invalid": "Enter a real date, like 3 March 2027.",
        },
    )
    start_time = forms.TimeField(
        label="Start time",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": "Enter a time like 09:30."},
    )
    mode = forms.ChoiceField(label="In person or online?", choices=DeliveryMode.choices, widget=forms.RadioSelect)
    venue = forms.CharField(
        label="Venue or online platform",
        required=False,
        help_text="The address when in person (required then); the platform when online.",
        **_limited(300, "The venue"),
    )
    trainers = _Named(
        label="Trainers",
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one trainer."},
    )
    agenda: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label="Agenda used", queryset=None, required=False, empty_label="No agenda yet"
    )
    status = forms.ChoiceField(label="Status", choices=DeliveryStatus.choices, initial=DeliveryStatus.PLANNED)
    enquiry = forms.IntegerField(required=False, widget=forms.HiddenInput)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, organisations: Any, trainers: Any, agendas: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations  # type: ignore[attr-defined]
        self.fields["trainers"].queryset = trainers  # type: ignore[attr-defined]
        self.fields["agenda"].queryset = agendas  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        no_organisation = not cleaned.get("organisation") and not (cleaned.get("organisation_name") or "").strip()
        if no_organisation and "organisation_name" not in self.errors:
            self.add_error("organisation", "Choose the organisation, or enter the name of a new one.")
        no_venue = cleaned.get("mode") == DeliveryMode.IN_PERSON and not (cleaned.get("venue") or "").strip()
        if no_venue and "venue" not in self.errors:
            self.add_error("venue", "Enter the venue's address: the delivery is in person.")
        return cleaned

    def draft(self, *, enquiry: Enquiry | None = None) -> DeliveryDraft:
        data = self.cleaned_data
        return DeliveryDraft(
            title=data["title"],
            date=data["date"],
            start_time=data["start_time"],
            mode=data["mode"],
            venue=data["venue"],
            trainers=list(data["trainers"]),
            organisation=data["organisation"],
            organisation_name="" if data["organisation"] else data["organisation_name"],
            organisation_kind=data["organisation_kind"],
            organisation_region=data["organisation_region"],
            audience=self.audience(),
            agenda=data["agenda"],
            status=data["status"],
            enquiry=enquiry,
        )

    @staticmethod
    def initial_from_enquiry(enquiry: Enquiry) -> dict[str, Any]:
        audience = enquiry.audience if isinstance(enquiry.audience, dict) else {}
        return {
            "enquiry": enquiry.pk,
            "organisation": enquiry.organisation_id,
            "organisation_name": "" if enquiry.organisation_id else enquiry.organisation_name,
            "organisation_kind": enquiry.organisation_kind,
            "organisation_region": enquiry.region,
            "title": f"Stalking training for {enquiry.organisation_name}"[:200],
            "mode": DeliveryMode.IN_PERSON,
            "agenda": enquiry.agendas.order_by("-created_at").values_list("pk", flat=True).first(),
            **{f"audience_{key}": value for key, value in audience.items()},
        }

    @staticmethod
    def initial_for(delivery: Delivery) -> dict[str, Any]:
        audience = delivery.audience if isinstance(delivery.audience, dict) else {}
        return {
            "version": delivery.version,
            "organisation": delivery.organisation_id,
            "title": delivery.title,
            "date": delivery.date,
            "start_time": delivery.start_time,
            "mode": delivery.mode,
            "venue": delivery.venue,
            "trainers": [t.pk for t in delivery.trainers.all()],
            "agenda": delivery.agenda_id,
            "status": delivery.status,
            **{f"audience_{key}": value for key, value in audience.items()},
        }


ROLE_CHOICES = [("", "Choose a role"), *AttendeeRole.choices]


class CountRowForm(forms.Form):
    organisation_name = forms.CharField(label="Organisation", required=False, **_limited(200, "An organisation's name"))
    role = forms.ChoiceField(label="Role", choices=ROLE_CHOICES, required=False)
    count = forms.IntegerField(
        label="How many",
        required=False,
        min_value=1,
        max_value=COUNT_MAX,
        widget=forms.NumberInput(attrs={"class": "govuk-input--width-4", "inputmode": "numeric"}),
        error_messages={
            "invalid": "Enter how many as a whole number.",
            "min_value": "Enter 1 or more, or leave the whole row empty.",
            "max_value": f"A count can be at most {COUNT_MAX}.",
        },
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        filled = [cleaned.get("organisation_name"), cleaned.get("role"), cleaned.get("count")]
        if any(filled) and not all(filled) and not self.errors:
            if not cleaned.get("organisation_name"):
                self.add_error("organisation_name", "Enter the organisation, or leave the whole row empty.")
            if not cleaned.get("role"):
                self.add_error("role", "Choose the role, or leave the whole row empty.")
            if not cleaned.get("count"):
                self.add_error("count", "Enter how many, or leave the whole row empty.")
        return cleaned

    def row(self) -> CountRow | None:
        data = self.cleaned_data
        if not data.get("organisation_name"):
            return None
        return CountRow(organisation_name=data["organisation_name"], role=data["role"], count=data["count"])


class NamedRowForm(forms.Form):
    name = forms.CharField(label="Name", required=False, **_limited(200, "A name"))
    organisation_name = forms.CharField(label="Organisation", required=False, **_limited(200, "An organisation's name"))
    role = forms.ChoiceField(label="Role", choices=ROLE_CHOICES, required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        filled = [cleaned.get("name"), cleaned.get("organisation_name"), cleaned.get("role")]
        if any(filled) and not all(filled) and not self.errors:
            for name, message in (
                ("name", "Enter the attendee's name, or leave the whole row empty."),
                ("organisation_name", "Enter the attendee's organisation, or leave the whole row empty."),
                ("role", "Choose the attendee's role, or leave the whole row empty."),
            ):
                if not cleaned.get(name):
                    self.add_error(name, message)
        return cleaned

    def row(self) -> NamedRow | None:
        data = self.cleaned_data
        if not data.get("name"):
            return None
        return NamedRow(name=data["name"], organisation_name=data["organisation_name"], role=data["role"])


CountFormSet = forms.formset_factory(CountRowForm, extra=3, max_num=200, validate_max=True, absolute_max=200)
NamedFormSet = forms.formset_factory(NamedRowForm, extra=5, max_num=1000, validate_max=True, absolute_max=1000)


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
