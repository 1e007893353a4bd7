"""Forms of the minutes part: whom to send the minutes to, and at which meeting they are approved."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from masip.panel.models import Meeting, MeetingMember


class MemberChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name}, {obj.agency}"


class DistributeForm(forms.Form):
    members = MemberChoiceField(
        queryset=MeetingMember.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        label="Send the minutes to",
        help_text="Each member gets an email saying their version is ready in masip, with a link; no case detail.",
        error_messages={
            "required": "Choose at least one member to send the minutes to.",
            "invalid_choice": "Choose members of this meeting who have a masip account.",
            "invalid_pk_value": "Choose members of this meeting who have a masip account.",
        },
    )

    def __init__(self, *args: Any, members: list[MeetingMember], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"members": [m.pk for m in members]})
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = MeetingMember.objects.filter(  # type: ignore[attr-defined]
            pk__in=[m.pk for m in members]
        ).select_related("agency")


class MeetingChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.title}, {timezone.localtime(obj.starts_at):%A %d %B %Y, %H:%M}"


class ApproveForm(forms.Form):
    at_meeting = MeetingChoiceField(
        queryset=Meeting.objects.visible_to(AnonymousUser()),  # nothing until __init__ gives the choices
        widget=forms.RadioSelect,
        empty_label=None,
        label="At which meeting does the panel approve these minutes?",
        help_text="Minutes are approved at a later meeting, while it is in progress and quorate.",
        error_messages={
            "required": "Choose the meeting, in progress now, at which the panel approves these minutes.",
            "invalid_choice": "That meeting is not in progress. Open it and record who attended, then approve.",
        },
    )

    def __init__(self, *args: Any, meetings: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["at_meeting"].queryset = meetings  # type: ignore[attr-defined]
