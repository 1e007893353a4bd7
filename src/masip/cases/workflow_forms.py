"""Forms of the case workflow pages: status, team, people and parallel processes. They parse
input; the rules live in cases.services."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django import forms

from masip.access.models import CaseRole
from masip.accounts.models import Agency
from masip.cases.models import (
    CaseStatus,
    ClosureReason,
    MappaCategory,
    MappaLevel,
    ParticipantRole,
    ProcessKind,
    SpoStage,
)
from masip.cases.selectors import Allocatable
from masip.cases.services import (
    CLOSING_RISK_LEVELS,
    LEAD_AGENCY_MAX_LENGTH,
    PURPOSE_MAX_LENGTH,
    RELATIONSHIP_MAX_LENGTH,
    STATUS_REASON_MAX_LENGTH,
)
from masip.core.forms import RequiredWhenCharField, RequiredWhenChoiceField
from masip.referrals.screening_forms import DATE_FORMATS, DATE_HINT, MAX_VERSION, STALE_FORM, BoundedDateField


def _version() -> forms.IntegerField:
    return forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_VERSION, error_messages=STALE_FORM)


def _date(label: str, *, required: bool) -> forms.DateField:
    return BoundedDateField(
        label=label,
        required=required,
        input_formats=DATE_FORMATS,
        help_text=DATE_HINT,
        widget=forms.DateInput(attrs={"class": "govuk-input--width-10", "inputmode": "numeric"}),
        error_messages={
            "required": f"Enter the {label.lower()}.",
            "invalid": f"Enter a real date as day/month/year. {DATE_HINT}.",
        },
    )


class StatusChangeForm(forms.Form):
    to = forms.ChoiceField(
        label="Move the case to",
        choices=CaseStatus.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the status to move the case to.", "invalid_choice": "Choose a status."},
    )
    closure_reason = RequiredWhenChoiceField(
        label="Why is the case being closed?",
        help_text="Only when closing the case.",
        choices=[("", "Choose a reason"), *ClosureReason.choices],
        error_messages={"invalid_choice": "Choose why the case is being closed from the list."},
    )
    risk_at_closure = RequiredWhenChoiceField(
        label="Risk level at closure",
        help_text="Only when closing the case.",
        choices=[("", "Choose a risk level"), *[(r.value, r.label) for r in CLOSING_RISK_LEVELS]],
        error_messages={"invalid_choice": "Choose the risk level at closure: low, moderate or high."},
    )
    reason = RequiredWhenCharField(
        label="Reason",
        help_text="Required when closing or reopening the case: what has changed and who has been told.",
        max_length=STATUS_REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"max_length": f"Keep the reason to {STATUS_REASON_MAX_LENGTH} characters or fewer."},
    )
    expected_version = _version()

    def __init__(self, *args: Any, offered: Sequence[CaseStatus], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Any status parses, so that an illegal move reaches the service and gets its message
        # naming the allowed ones; only the allowed ones are offered.
        self.fields["to"].widget.choices = [(s.value, s.label) for s in offered]


class TeamAllocateForm(forms.Form):
    user = forms.ChoiceField(
        label="Person",
        error_messages={
            "required": "Choose who to allocate.",
            "invalid_choice": "Choose someone from the unit's members listed.",
        },
    )
    role_on_case = forms.ChoiceField(
        label="Role on this case",
        choices=[
            (r.value, r.label)
            for r in (
                CaseRole.LEAD_INVESTIGATOR,
                CaseRole.INVESTIGATOR,
                CaseRole.LEAD_CLINICIAN,
                CaseRole.CLINICIAN,
                CaseRole.ADVOCATE,
                CaseRole.OUTREACH_WORKER,
                CaseRole.UNIT_MANAGER,
                CaseRole.SUPPORT,
            )
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose their role on this case.", "invalid_choice": "Choose a role listed."},
    )
    purpose = forms.CharField(
        label="Purpose",
        help_text="Why they join the case, for example “Lead investigator for the s4A enquiry”.",
        required=False,
        max_length=PURPOSE_MAX_LENGTH,
        error_messages={"max_length": f"Keep the purpose to {PURPOSE_MAX_LENGTH} characters or fewer."},
    )

    def __init__(self, *args: Any, members: Iterable[Allocatable], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.members = {str(m.user.pk): m.user for m in members}
        field = self.fields["user"]
        field.choices = [("", "Choose a person"), *((str(m.user.pk), m.label) for m in members)]  # type: ignore[attr-defined]


class LeadAgencyForm(forms.Form):
    agency = forms.ModelChoiceField(
        label="Lead agency",
        queryset=Agency.objects.none(),
        empty_label="Choose an agency",
        error_messages={"required": "Choose the lead agency.", "invalid_choice": "Choose an agency from the list."},
    )
    expected_version = _version()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = Agency.objects.order_by("name")  # type: ignore[attr-defined]


class PersonSearchForm(forms.Form):
    given_name = forms.CharField(label="Given name", required=False, max_length=100)
    family_name = forms.CharField(label="Family name", required=False, max_length=100)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("given_name") or "").strip() and not (data.get("family_name") or "").strip():
            raise forms.ValidationError("Enter a given name or a family name to search for.")
        return data


def _role_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        label="Role in this case",
        choices=[("", "Choose a role"), *ParticipantRole.choices],
        error_messages={
            "required": "Choose the person's role in this case.",
            "invalid_choice": "Choose a role from the list.",
        },
    )


def _relationship_field() -> forms.CharField:
    return forms.CharField(
        label="Their part in this case",
        help_text="In a few words, for example “victim's sister” or “saw the suspect outside the house”.",
        required=False,
        max_length=RELATIONSHIP_MAX_LENGTH,
        error_messages={"max_length": f"Keep this to {RELATIONSHIP_MAX_LENGTH} characters or fewer."},
    )


class ParticipantLinkForm(forms.Form):
    person_id = forms.UUIDField(
        widget=forms.HiddenInput, error_messages={"required": "Choose a person.", "invalid": "Choose a person."}
    )
    role = _role_field()
    relationship = _relationship_field()


class ParticipantCreateForm(forms.Form):
    given_name = forms.CharField(label="Given name", required=False, max_length=100)
    family_name = forms.CharField(label="Family name", required=False, max_length=100)
    date_of_birth = _date("Date of birth", required=False)
    role = _role_field()
    relationship = _relationship_field()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("given_name") or "").strip() and not (data.get("family_name") or "").strip():
            self.add_error("given_name", "Enter at least a given name or a family name.")
        return data


class VersionForm(forms.Form):
    expected_version = _version()


class ProcessAddForm(forms.Form):
    kind = forms.ChoiceField(
        label="Process",
        choices=ProcessKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the kind of process.", "invalid_choice": "Choose a process listed."},
    )
    lead_agency = forms.CharField(
        label="Lead agency",
        help_text="The agency that leads this process, for example “Cheshire Constabulary” or “Probation Service”.",
        max_length=LEAD_AGENCY_MAX_LENGTH,
        error_messages={"required": "Name the agency that leads this process."},
    )
    started_on = _date("Start date", required=True)
    marac_heard_on = _date("MARAC date heard", required=False)
    mappa_category = forms.ChoiceField(
        label="MAPPA category", choices=[("", "Choose a category"), *MappaCategory.choices], required=False
    )
    mappa_level = forms.ChoiceField(
        label="MAPPA level", choices=[("", "Choose a level"), *MappaLevel.choices], required=False
    )
    spo_stage = forms.ChoiceField(
        label="Stalking Protection Order stage", choices=[("", "Choose a stage"), *SpoStage.choices], required=False
    )
    other_unit = forms.CharField(label="Other unit or agency involved", required=False, max_length=200)


class ProcessEndForm(forms.Form):
    ended_on = _date("End date", required=True)
    expected_version = _version()


NEW_CASE = "new"


class ReferralAttachForm(forms.Form):
    """At triage, when a person the referral names is on an open case: attach to it, or open a new case."""

    # Left blank, an accepted referral opens a new case as it always has; attaching is a choice.
    outcome = forms.ChoiceField(
        label="If you accept this referral",
        widget=forms.RadioSelect,
        required=False,
        error_messages={"invalid_choice": "Choose one of the cases offered, or a new case."},
    )
    confirm = forms.BooleanField(
        label="I have checked that this referral is about the same stalking as the case I chose",
        required=False,
    )

    def __init__(self, *args: Any, cases: Iterable[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [
            (str(link.case.pk), f"Attach to case {link.case.reference} ({', '.join(link.people)})") for link in cases
        ]
        self.fields["outcome"].choices = [*choices, (NEW_CASE, "Open a new case")]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("outcome"):
            data["outcome"] = NEW_CASE
        if data["outcome"] != NEW_CASE and not data.get("confirm"):
            self.add_error("confirm", "Confirm that this referral is about the same stalking before attaching it.")
        return data
