"""The multi-agency panel: schedules and meetings of a unit, their members, the agenda of cases,
what was said and decided about each, the actions that follow, and the minutes.

A meeting and its members are not case data (no case appears in them); everything that names
a case (agenda items, requests to bring a case, discussion, decisions, actions) is, and is
read only through `visible_to(user)`.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from masip.access.managers import CaseScopedQuerySet, VisibleOnly
from masip.access.policy import Compartment
from masip.core.fields import EncryptedTextField
from masip.core.models import CaseDataModel, TimeStampedModel


class PanelSettings(TimeStampedModel):
    """A unit's quorum: how many members must attend, from how many agencies, and whether the
    police must be among them, for the panel to decide anything."""

    unit = models.OneToOneField("accounts.Unit", on_delete=models.CASCADE, related_name="panel_settings")
    quorum_members = models.PositiveSmallIntegerField(default=3, help_text="Members attending, at least.")
    quorum_agencies = models.PositiveSmallIntegerField(default=2, help_text="Different agencies attending, at least.")
    quorum_requires_police = models.BooleanField(default=True, help_text="A police member must attend.")

    class Meta:
        verbose_name_plural = "panel settings"


class Frequency(models.TextChoices):
    WEEKLY = "weekly", "Every week"
    FORTNIGHTLY = "fortnightly", "Every two weeks"
    MONTHLY = "monthly", "Once a month, on a given weekday of the month"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"


class WeekOfMonth(models.IntegerChoices):
    FIRST = 1, "First"
    SECOND = 2, "Second"
    THIRD = 3, "Third"
    FOURTH = 4, "Fourth"
    LAST = -1, "Last"


class PanelSchedule(TimeStampedModel):
    """A recurring series of meetings ("every second Tuesday at 10:00"); meetings are made from
    it some weeks ahead and can then be moved or cancelled one by one."""

    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="panel_schedules")
    title = models.CharField(max_length=120, default="Stalking panel")
    frequency = models.CharField(max_length=16, choices=Frequency.choices, default=Frequency.WEEKLY)
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices, default=Weekday.TUESDAY)
    week_of_month = models.SmallIntegerField(
        choices=WeekOfMonth.choices, null=True, blank=True, help_text="Monthly schedules only."
    )
    starts_on = models.DateField(help_text="The first day the series may hold a meeting.")
    ends_on = models.DateField(null=True, blank=True)
    start_time = models.TimeField()
    duration_minutes = models.PositiveSmallIntegerField(default=120)
    location = models.CharField(max_length=200, blank=True)
    call_details = EncryptedTextField(blank=True, help_text="Video call link and passcode, if any.")
    chair = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="panel_schedules", blank=True)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        ordering = ["unit", "title"]

    def __str__(self) -> str:
        return self.title


class MeetingStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    IN_PROGRESS = "in_progress", "In progress"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


class MeetingQuerySet(models.QuerySet["Meeting"]):
    def visible_to(self, user: object) -> MeetingQuerySet:
        """Meetings of units where `user` chairs panels, and meetings they are a member of in units
        where they attend panels. No case appears in a meeting row."""
        from masip.panel.rules import meeting_visibility

        return self.filter(meeting_visibility(user))


class Meeting(TimeStampedModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="panel_meetings")
    schedule = models.ForeignKey(
        PanelSchedule, on_delete=models.SET_NULL, null=True, blank=True, related_name="meetings"
    )
    title = models.CharField(max_length=120, default="Stalking panel")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    location = models.CharField(max_length=200, blank=True)
    call_details = EncryptedTextField(blank=True)
    chair = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=MeetingStatus.choices, default=MeetingStatus.SCHEDULED)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    cancelled_reason = models.CharField(max_length=200, blank=True)
    agenda_built_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    version = models.PositiveIntegerField(default=1)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at"]
        indexes = [models.Index(fields=["unit", "starts_at"], name="panel_meeting_unit_start")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="panel_meeting_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.title}, {self.starts_at:%d %B %Y}"


class Attendance(models.TextChoices):
    INVITED = "invited", "Invited"
    ATTENDED = "attended", "Attended"
    APOLOGIES = "apologies", "Sent apologies"
    ABSENT = "absent", "Did not attend"


class MeetingMember(TimeStampedModel):
    """One member of one meeting: a masip user, or someone from a partner agency without an
    account (named, with their agency). Attendance is recorded when the meeting opens."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="panel_memberships"
    )
    name = models.CharField(max_length=200, help_text="The member's name (copied from the account, if any).")
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    email = models.EmailField(blank=True, help_text="Where minutes are sent, for a member without an account.")
    role_at_panel = models.CharField(max_length=120, blank=True)
    attendance = models.CharField(max_length=16, choices=Attendance.choices, default=Attendance.INVITED)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "user"], condition=Q(user__isnull=False), name="panel_member_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.agency})"


class ItemReason(models.TextChoices):
    NEW_REFERRAL = "new_referral", "Newly accepted referral"
    RED_FLAG = "red_flag", "New red flag since the last meeting"
    REVIEW_DUE = "review_due", "Review due"
    PANEL_REVIEW = "panel_review", "Panel review date reached"
    MEMBER_REQUEST = "member_request", "A member asked to bring it"
    ADDED_BY_CHAIR = "added_by_chair", "Added by the chair"


class ItemStatus(models.TextChoices):
    PENDING = "pending", "To discuss"
    DISCUSSED = "discussed", "Discussed"
    DEFERRED = "deferred", "Deferred to the next meeting"
    WITHDRAWN = "withdrawn", "Taken off the agenda"


class AgendaItem(CaseDataModel):
    """One case on one meeting's agenda, in its place, with why it is there."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="items")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="panel_items")
    position = models.PositiveSmallIntegerField()
    reasons = models.JSONField(default=list, help_text="ItemReason values, in the order found.")
    status = models.CharField(max_length=16, choices=ItemStatus.choices, default=ItemStatus.PENDING)
    discussed_at = models.DateTimeField(null=True, blank=True)
    next_review_on = models.DateField(null=True, blank=True, help_text="When the panel will next look at the case.")

    unscoped = CaseScopedQuerySet.as_manager()
    objects = VisibleOnly()
    access_case_path = "case"

    class Meta:
        ordering = ["meeting", "position"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "case"], name="panel_item_case_once"),
        ]

    def __str__(self) -> str:
        return f"Item {self.position}"


class DeclarationOfInterest(TimeStampedModel):
    """A member's declared interest, for the whole meeting or one item; a member who withdraws
    from an item sees it, and its minutes, as restricted."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="declarations")
    member = models.ForeignKey(MeetingMember, on_delete=models.CASCADE, related_name="declarations")
    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, null=True, blank=True, related_name="declarations")
    statement = EncryptedTextField()
    withdrew = models.BooleanField(default=False, help_text="The member left the room for this item.")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")


class RequestStatus(models.TextChoices):
    OPEN = "open", "Waiting for the agenda"
    ADDED = "added", "Added to an agenda"
    DECLINED = "declined", "Declined by the chair"


class AgendaRequest(CaseDataModel):
    """A member asks for a case to be brought to the next meeting."""

    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="panel_requests")
    reason = EncryptedTextField()
    status = models.CharField(max_length=16, choices=RequestStatus.choices, default=RequestStatus.OPEN)
    item = models.ForeignKey(AgendaItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="requests")
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    declined_reason = models.CharField(max_length=200, blank=True)

    unscoped = CaseScopedQuerySet.as_manager()
    objects = VisibleOnly()
    access_case_path = "case"

    class Meta:
        ordering = ["created_at"]


class DiscussionNote(CaseDataModel):
    """What was said about an item. The summary the panel shares is in `team`; detail that only
    the police, clinicians or the advocate may read stays in its own compartment."""

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="notes")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    compartment = models.CharField(max_length=16, choices=Compartment.choices, default=Compartment.TEAM)
    text = EncryptedTextField()

    unscoped = CaseScopedQuerySet.as_manager()
    objects = VisibleOnly()
    access_case_path = "case"
    access_compartment_field = "compartment"

    class Meta:
        ordering = ["created_at"]


class DecisionOption(TimeStampedModel):
    """One route the panel may decide, kept as data per unit (loaded from data/decisions.yaml by
    `load_panel_decisions`, editable per unit)."""

    unit = models.ForeignKey("accounts.Unit", on_delete=models.CASCADE, related_name="panel_decision_options")
    key = models.SlugField(max_length=40)
    label = models.CharField(max_length=120)
    description = models.CharField(max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["unit", "position", "label"]
        constraints = [models.UniqueConstraint(fields=["unit", "key"], name="panel_decision_option_key")]

    def __str__(self) -> str:
        return self.label


class ItemDecision(CaseDataModel):
    """A route decided for an item, with the panel's words."""

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="decisions")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    option = models.ForeignKey(DecisionOption, on_delete=models.PROTECT, related_name="+")
    detail = EncryptedTextField(blank=True)

    unscoped = CaseScopedQuerySet.as_manager()
    objects = VisibleOnly()
    access_case_path = "case"

    class Meta:
        ordering = ["created_at"]


class PanelAction(CaseDataModel):
    """An action agreed on an item: an owner (a masip user, who gets it as a task on the case),
    their agency and a due date. Its state is its task's."""

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="actions")
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="actions")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="panel_actions")
    title = models.CharField(max_length=200)
    detail = EncryptedTextField(blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="panel_actions")
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField()
    task = models.OneToOneField("work.Task", on_delete=models.PROTECT, related_name="panel_action")
    reminded_on = models.DateField(null=True, blank=True, help_text="The last day a reminder was sent.")

    unscoped = CaseScopedQuerySet.as_manager()
    objects = VisibleOnly()
    access_case_path = "case"

    class Meta:
        ordering = ["due_on", "created_at"]


class MinutesStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    APPROVED = "approved", "Approved and locked"


class Minutes(TimeStampedModel):
    """The minutes of one meeting. Approved at a later meeting of the unit, then locked: nothing
    recorded at the meeting may change after that."""

    meeting = models.OneToOneField(Meeting, on_delete=models.CASCADE, related_name="minutes")
    status = models.CharField(max_length=16, choices=MinutesStatus.choices, default=MinutesStatus.DRAFT)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at_meeting = models.ForeignKey(
        Meeting, on_delete=models.PROTECT, null=True, blank=True, related_name="minutes_approved"
    )
    approved_sha256 = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 of the general version's text as approved."
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name_plural = "minutes"


class MinutesDistribution(TimeStampedModel):
    """Minutes made available to one member: which annexes they received. Each is also a
    disclosure in the audit log."""

    minutes = models.ForeignKey(Minutes, on_delete=models.CASCADE, related_name="distributions")
    member = models.ForeignKey(MeetingMember, on_delete=models.PROTECT, related_name="+")
    annexes = models.JSONField(default=list, help_text="Compartments whose annex the member received.")
    minutes_status = models.CharField(max_length=16, choices=MinutesStatus.choices)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    sha256 = models.CharField(max_length=64, help_text="SHA-256 of the PDF the member received.")

    class Meta:
        ordering = ["created_at"]


class CalendarFeed(TimeStampedModel):
    """A user's secret iCalendar address (only its hash is kept); revoked by making a new one."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="panel_feed")
    token_hash = models.CharField(max_length=64, unique=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_from = models.GenericIPAddressField(null=True, blank=True)
