"""Forms of what is recorded about an agenda item and of the unit's decision options. They parse
input; the rules (who, when, quorum, dates) live in services_items and services_actions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django import forms

from masip.access.policy import Compartment
from masip.accounts.models import Agency
from masip.core.forms import NativeDateInput, RequiredWhenCharField
from masip.panel.models import DecisionOption, ItemStatus
from masip.panel.services_actions import DETAIL_MAX_LENGTH as ACTION_DETAIL_MAX_LENGTH
from masip.panel.services_actions import TITLE_MAX_LENGTH, OwnerChoice
from masip.panel.services_items import (
    DESCRIPTION_MAX_LENGTH,
    DETAIL_MAX_LENGTH,
    LABEL_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    OTHER_KEY,
)

DATE = NativeDateInput()
CHOOSE = "Choose from the list."


class NoteForm(forms.Form):
    compartment = forms.ChoiceField(
        label="Who may read this note",
        help_text="The case team reads the summary the panel shares. Detail only the police, clinicians or the "
        "advocate may read goes in their own compartment, and stays there.",
        error_messages={"required": "Choose who may read the note.", "invalid_choice": CHOOSE},
    )
    text = forms.CharField(
        label="What was said",
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=NOTE_MAX_LENGTH,
        error_messages={
            "required": "Enter what was said about the case.",
            "max_length": f"The note can be at most {NOTE_MAX_LENGTH:,} characters.",
        },
    )

    def __init__(self, *args: Any, compartments: Sequence[Compartment], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ChoiceField, self.fields["compartment"])
        field.choices = [(str(c), c.label) for c in compartments]
        if Compartment.TEAM in compartments:
            field.initial = str(Compartment.TEAM)


class DecisionForm(forms.Form):
    option = forms.ChoiceField(
        label="What the panel decided",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what the panel decided.", "invalid_choice": CHOOSE},
    )
    detail = RequiredWhenCharField(
        label="In the panel's words",
        required=False,
        help_text="Needed when the decision is “Other”; otherwise add anything the route needs, such as who leads it.",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=DETAIL_MAX_LENGTH,
        error_messages={"max_length": f"The decision's words can be at most {DETAIL_MAX_LENGTH:,} characters."},
    )

    def __init__(self, *args: Any, options: Sequence[DecisionOption], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.options = {str(o.pk): o for o in options}
        field = cast(forms.ChoiceField, self.fields["option"])
        field.choices = [(str(o.pk), o.label) for o in options]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        option = self.options.get(data.get("option") or "")
        if option is not None and option.key == OTHER_KEY and not (data.get("detail") or "").strip():
            self.add_error("detail", "Say in words what the panel decided: “Other” needs it.")
        return data


class ActionForm(forms.Form):
    title = forms.CharField(
        label="Action",
        max_length=TITLE_MAX_LENGTH,
        error_messages={
            "required": "Enter what needs doing.",
            "max_length": f"The action can be at most {TITLE_MAX_LENGTH} characters. Put the rest in the details.",
        },
    )
    detail = forms.CharField(
        label="Details",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=ACTION_DETAIL_MAX_LENGTH,
        error_messages={"max_length": f"The details can be at most {ACTION_DETAIL_MAX_LENGTH:,} characters."},
    )
    owner = forms.TypedChoiceField(
        label="Owner",
        coerce=int,
        help_text="A member of the unit who works cases. The action becomes a task on the case for them.",
        error_messages={
            "required": "Choose who owns the action: every action needs an owner.",
            "invalid_choice": CHOOSE,
        },
    )
    agency = forms.TypedChoiceField(
        label="Agency",
        coerce=int,
        required=False,
        empty_value=None,
        help_text="Leave empty for the owner's own agency.",
        error_messages={"invalid_choice": CHOOSE},
    )
    due_on = forms.DateField(
        label="Due date",
        widget=DATE,
        error_messages={"required": "Enter the date the action is due.", "invalid": "Enter a real date."},
    )

    def __init__(self, *args: Any, owners: Sequence[OwnerChoice], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner = cast(forms.ChoiceField, self.fields["owner"])
        agency = cast(forms.ChoiceField, self.fields["agency"])
        owner.choices = [("", "Choose the owner"), *((str(o.user_id), f"{o.name} ({o.agency_name})") for o in owners)]
        agency.choices = [("", "The owner's agency"), *((str(a.pk), a.name) for a in Agency.objects.order_by("name"))]


class OutcomeForm(forms.Form):
    version = forms.IntegerField(
        widget=forms.HiddenInput, min_value=1, error_messages={"required": "Reload the page and record it again."}
    )
    status = forms.ChoiceField(
        label="Outcome",
        widget=forms.RadioSelect,
        choices=[(str(ItemStatus.DISCUSSED), "Discussed"), (str(ItemStatus.DEFERRED), "Deferred to the next meeting")],
        error_messages={
            "required": "Choose whether the case was discussed or deferred to the next meeting.",
            "invalid_choice": CHOOSE,
        },
    )
    next_review_on = forms.DateField(
        label="Next panel review",
        required=False,
        widget=DATE,
        help_text="When the panel will next look at the case. Leave empty if it need not come back.",
        error_messages={"invalid": "Enter a real date."},
    )


class OptionForm(forms.Form):
    label = forms.CharField(
        label="Option",
        max_length=LABEL_MAX_LENGTH,
        error_messages={
            "required": "Enter the option as the panel should read it.",
            "max_length": f"The option can be at most {LABEL_MAX_LENGTH} characters.",
        },
    )
    description = forms.CharField(
        label="Description",
        required=False,
        max_length=DESCRIPTION_MAX_LENGTH,
        error_messages={"max_length": f"The description can be at most {DESCRIPTION_MAX_LENGTH} characters."},
    )


class OptionEditForm(OptionForm):
    active = forms.BooleanField(
        label="Offered to the panel",
        required=False,
        help_text="Switch an option off to stop offering it; decisions already recorded keep it.",
    )
