"""Forms of panel meetings. They parse input; the rules live in services_meetings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any, cast

from django import forms
from django.utils import timezone

from masip.accounts.models import Agency, User
from masip.core.forms import NativeDateInput
from masip.panel.models import AgendaItem, Attendance, Frequency, Meeting, MeetingMember, PanelSchedule
from masip.panel.models import Weekday as WeekdayChoice
from masip.panel.models import WeekOfMonth as WeekOfMonthChoice
from masip.panel.services_meetings import (
    CALL_DETAILS_MAX_LENGTH,
    MAX_DURATION_MINUTES,
    MAX_QUORUM,
    MAX_WEEKS_AHEAD,
    MIN_DURATION_MINUTES,
    PLACE_MAX_LENGTH,
    REASON_MAX_LENGTH,
    STATEMENT_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    ExternalMemberDraft,
    MeetingDraft,
    ScheduleDraft,
)

DATE = NativeDateInput()
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
CHOOSE = {"required": "Choose from the list.", "invalid_choice": "Choose from the list."}


class VersionField(forms.IntegerField):
    def __init__(self) -> None:
        super().__init__(
            widget=forms.HiddenInput,
            min_value=1,
            error_messages={"required": "Reload the page and make your change again."},
        )


def person_label(user: User) -> str:
    agency = user.agency.name if user.agency else "no agency recorded"
    return f"{user.full_name} ({agency})"


def _chair_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        label="Chair",
        error_messages={
            "required": "Choose who chairs the meeting.",
            "invalid_choice": "Choose the chair from the list: only the unit's managers chair panels.",
        },
    )


class ScheduleForm(forms.Form):
    title = forms.CharField(
        label="Title",
        max_length=TITLE_MAX_LENGTH,
        initial="Stalking panel",
        error_messages={"required": "Enter a title for the meetings."},
    )
    frequency = forms.ChoiceField(
        label="How often",
        choices=Frequency.choices,
        widget=forms.RadioSelect,
        initial=Frequency.WEEKLY,
        error_messages={"required": "Choose how often the panel meets.", "invalid_choice": "Choose from the list."},
    )
    weekday = forms.TypedChoiceField(
        label="Day of the week",
        choices=WeekdayChoice.choices,
        coerce=int,
        initial=WeekdayChoice.TUESDAY,
        error_messages=CHOOSE,
    )
    week_of_month = forms.TypedChoiceField(
        label="Week of the month",
        choices=[("", "Not monthly"), *WeekOfMonthChoice.choices],
        coerce=int,
        empty_value=None,
        required=False,
        help_text="For a monthly panel only: for example the second Tuesday, or the last Friday.",
        error_messages=CHOOSE,
    )
    starts_on = forms.DateField(
        label="First day",
        widget=DATE,
        help_text="The series may hold its first meeting on or after this day.",
        error_messages={"required": "Enter the first day of the series.", "invalid": "Enter a real date."},
    )
    ends_on = forms.DateField(
        label="Last day", widget=DATE, required=False, error_messages={"invalid": "Enter a real date."}
    )
    start_time = forms.TimeField(
        label="Start time",
        widget=TIME,
        error_messages={"required": "Enter the start time, for example 10:00.", "invalid": "Enter a time like 10:00."},
    )
    duration_minutes = forms.IntegerField(
        label="Length in minutes",
        initial=120,
        min_value=MIN_DURATION_MINUTES,
        max_value=MAX_DURATION_MINUTES,
        error_messages={
            "required": "Enter how long the meetings last, in minutes.",
            "invalid": "Enter a whole number of minutes.",
            "min_value": f"A meeting lasts at least {MIN_DURATION_MINUTES} minutes.",
            "max_value": f"A meeting lasts at most {MAX_DURATION_MINUTES // 60} hours.",
        },
    )
    location = forms.CharField(label="Place", max_length=PLACE_MAX_LENGTH, required=False)
    call_details = forms.CharField(
        label="Call details",
        max_length=CALL_DETAILS_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The video call link and passcode. Only members and chairs see them; calendars never do.",
    )
    chair = _chair_field()
    members = forms.TypedMultipleChoiceField(
        label="Members invited to every meeting",
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The chair is always invited. Members without an account are added meeting by meeting.",
        error_messages={"invalid_choice": "Choose members from the list."},
    )
    active = forms.BooleanField(label="Active: make meetings from this schedule", required=False, initial=True)

    def __init__(self, *args: Any, chairs: Sequence[User], people: Sequence[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._people = {u.pk: u for u in people}
        cast(forms.ChoiceField, self.fields["chair"]).choices = [
            ("", "Choose the chair"),
            *((str(u.pk), person_label(u)) for u in chairs),
        ]
        cast(forms.ChoiceField, self.fields["members"]).choices = [(u.pk, person_label(u)) for u in people]
        self._chairs = {str(u.pk): u for u in chairs}

    def draft(self) -> ScheduleDraft:
        data = self.cleaned_data
        return ScheduleDraft(
            title=data["title"],
            frequency=data["frequency"],
            weekday=data["weekday"],
            week_of_month=data["week_of_month"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            start_time=data["start_time"],
            duration_minutes=data["duration_minutes"],
            location=data["location"],
            call_details=data["call_details"],
            chair=self._chairs.get(data["chair"]),
            members=[self._people[pk] for pk in data["members"]],
            active=data["active"],
        )

    @staticmethod
    def initial_for(schedule: PanelSchedule) -> dict[str, Any]:
        return {
            "title": schedule.title,
            "frequency": schedule.frequency,
            "weekday": schedule.weekday,
            "week_of_month": schedule.week_of_month,
            "starts_on": schedule.starts_on,
            "ends_on": schedule.ends_on,
            "start_time": schedule.start_time,
            "duration_minutes": schedule.duration_minutes,
            "location": schedule.location,
            "call_details": schedule.call_details,
            "chair": str(schedule.chair_id),
            "members": [u.pk for u in schedule.members.all()],
            "active": schedule.active,
        }


class GenerateForm(forms.Form):
    weeks = forms.IntegerField(
        label="Make the meetings for the next … weeks",
        initial=8,
        min_value=1,
        max_value=MAX_WEEKS_AHEAD,
        error_messages={
            "required": "Enter how many weeks ahead to make meetings for.",
            "invalid": "Enter a whole number of weeks.",
            "min_value": "Enter at least 1 week.",
            "max_value": f"Make meetings at most {MAX_WEEKS_AHEAD} weeks ahead.",
        },
    )


class MeetingForm(forms.Form):
    title = forms.CharField(
        label="Title",
        max_length=TITLE_MAX_LENGTH,
        initial="Stalking panel",
        error_messages={"required": "Enter a title for the meeting."},
    )
    day = forms.DateField(
        label="Date", widget=DATE, error_messages={"required": "Enter the date.", "invalid": "Enter a real date."}
    )
    start_time = forms.TimeField(
        label="Start time",
        widget=TIME,
        error_messages={"required": "Enter the start time, for example 10:00.", "invalid": "Enter a time like 10:00."},
    )
    end_time = forms.TimeField(
        label="End time",
        widget=TIME,
        error_messages={"required": "Enter the end time, for example 12:00.", "invalid": "Enter a time like 12:00."},
    )
    location = forms.CharField(label="Place", max_length=PLACE_MAX_LENGTH, required=False)
    call_details = forms.CharField(
        label="Call details",
        max_length=CALL_DETAILS_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The video call link and passcode. Only members and chairs see them; calendars never do.",
    )
    chair = _chair_field()

    def __init__(self, *args: Any, chairs: Sequence[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._chairs = {str(u.pk): u for u in chairs}
        cast(forms.ChoiceField, self.fields["chair"]).choices = [
            ("", "Choose the chair"),
            *((str(u.pk), person_label(u)) for u in chairs),
        ]

    def draft(self) -> MeetingDraft:
        data = self.cleaned_data
        return MeetingDraft(
            title=data["title"],
            day=data["day"],
            start_time=data["start_time"],
            end_time=data["end_time"],
            location=data["location"],
            call_details=data["call_details"],
            chair=self._chairs.get(data["chair"]),
        )

    @staticmethod
    def initial_for(meeting: Meeting) -> dict[str, Any]:
        starts = timezone.localtime(meeting.starts_at)
        return {
            "title": meeting.title,
            "day": starts.date(),
            "start_time": starts.time(),
            "end_time": timezone.localtime(meeting.ends_at).time(),
            "location": meeting.location,
            "call_details": meeting.call_details,
            "chair": str(meeting.chair_id),
            "version": meeting.version,
        }

    @staticmethod
    def initial_new(user: User) -> dict[str, Any]:
        return {
            "day": timezone.localdate() + timedelta(days=7),
            "start_time": "10:00",
            "end_time": "12:00",
            "chair": str(user.pk),
        }


class MeetingEditForm(MeetingForm):
    version = VersionField()


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Why is the meeting cancelled?",
        max_length=REASON_MAX_LENGTH,
        help_text="Members read this.",
        error_messages={
            "required": "Enter why the meeting is cancelled; members will read it.",
            "max_length": f"Keep the reason to {REASON_MAX_LENGTH} characters or fewer.",
        },
    )
    version = VersionField()


class VersionForm(forms.Form):
    version = VersionField()


class InviteForm(forms.Form):
    users = forms.TypedMultipleChoiceField(
        label="Invite people of the unit",
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Choose at least one person to invite.",
            "invalid_choice": "Choose people from the list: someone already a member, or without a panel role in "
            "the unit, cannot be invited.",
        },
    )

    def __init__(self, *args: Any, people: Sequence[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._people = {u.pk: u for u in people}
        cast(forms.ChoiceField, self.fields["users"]).choices = [(u.pk, person_label(u)) for u in people]

    def chosen(self) -> list[User]:
        return [self._people[pk] for pk in self.cleaned_data["users"]]


class ExternalMemberForm(forms.Form):
    name = forms.CharField(
        label="Name", max_length=PLACE_MAX_LENGTH, error_messages={"required": "Enter the member's name."}
    )
    agency = forms.ModelChoiceField(
        label="Agency",
        queryset=Agency.objects.order_by("name"),
        empty_label="Choose the agency",
        error_messages={
            "required": "Choose the member's agency. If it is not listed, ask an administrator to add it.",
            "invalid_choice": "Choose the agency from the list.",
        },
    )
    email = forms.EmailField(
        label="Email address",
        required=False,
        help_text="Where their minutes are sent.",
        error_messages={"invalid": "Enter an email address like name@example.org."},
    )
    role_at_panel = forms.CharField(label="Role at the panel", max_length=TITLE_MAX_LENGTH, required=False)

    def draft(self) -> ExternalMemberDraft:
        data = self.cleaned_data
        return ExternalMemberDraft(
            name=data["name"], agency=data["agency"], email=data["email"], role_at_panel=data["role_at_panel"]
        )


class RemoveMemberForm(forms.Form):
    member = forms.IntegerField(
        widget=forms.HiddenInput, error_messages={"required": "Choose the member to remove.", "invalid": "Reload."}
    )


ATTENDANCE_CHOICES = [
    (Attendance.ATTENDED.value, Attendance.ATTENDED.label),
    (Attendance.APOLOGIES.value, Attendance.APOLOGIES.label),
    (Attendance.ABSENT.value, Attendance.ABSENT.label),
]


class AttendanceForm(forms.Form):
    """One question per member: attended, sent apologies, or did not attend."""

    version = VersionField()

    def __init__(self, *args: Any, members: Sequence[MeetingMember], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.members = list(members)
        for m in self.members:
            self.fields[f"member_{m.pk}"] = forms.ChoiceField(
                label=f"{m.name} ({m.agency.name})",
                choices=ATTENDANCE_CHOICES,
                widget=forms.RadioSelect,
                initial=m.attendance if m.attendance != Attendance.INVITED else None,
                error_messages={"required": f"Choose whether {m.name} attended.", "invalid_choice": "Choose one."},
            )

    def member_fields(self) -> list[forms.BoundField]:
        return [self[f"member_{m.pk}"] for m in self.members]

    def attendance(self) -> dict[int, str]:
        return {m.pk: self.cleaned_data[f"member_{m.pk}"] for m in self.members}


class DeclarationForm(forms.Form):
    member = forms.TypedChoiceField(
        label="Member declaring",
        coerce=int,
        error_messages={"required": "Choose the member declaring.", "invalid_choice": "Choose from the list."},
    )
    item = forms.ChoiceField(
        label="For",
        required=False,
        error_messages={"invalid_choice": "Choose an item of this meeting's agenda, or the whole meeting."},
    )
    statement = forms.CharField(
        label="Interest declared",
        max_length=STATEMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": "Enter the interest declared, for example “Knows the victim's family”.",
            "max_length": f"Keep the declaration to {STATEMENT_MAX_LENGTH:,} characters or fewer.",
        },
    )
    withdrew = forms.BooleanField(label="The member withdrew from the item (left the room)", required=False)

    def __init__(
        self, *args: Any, members: Sequence[MeetingMember], items: Sequence[AgendaItem], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["member"]).choices = [
            *([("", "Choose the member")] if len(members) > 1 else []),
            *((m.pk, f"{m.name} ({m.agency.name})") for m in members),
        ]
        cast(forms.ChoiceField, self.fields["item"]).choices = [
            ("", "The whole meeting"),
            *((str(i.pk), f"Item {i.position}") for i in items),
        ]


class QuorumForm(forms.Form):
    quorum_members = forms.IntegerField(
        label="Members attending, at least",
        min_value=1,
        max_value=MAX_QUORUM,
        error_messages={
            "required": "Enter how many members must attend.",
            "invalid": "Enter a whole number.",
            "min_value": "At least 1 member must attend.",
            "max_value": f"Enter a number up to {MAX_QUORUM}.",
        },
    )
    quorum_agencies = forms.IntegerField(
        label="Different agencies attending, at least",
        min_value=1,
        max_value=MAX_QUORUM,
        error_messages={
            "required": "Enter how many agencies must attend.",
            "invalid": "Enter a whole number.",
            "min_value": "At least 1 agency must attend.",
            "max_value": f"Enter a number up to {MAX_QUORUM}.",
        },
    )
    quorum_requires_police = forms.BooleanField(label="A police member must attend", required=False)
