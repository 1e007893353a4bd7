"""Models of the interventions app: the Victims' Code (right 6, investigation updates).

Each victim of a case has agreed how often and by which channel they are kept informed, and
whether they have enhanced rights (told within 1 working day rather than 5). A criminal-justice
event (an arrest, a release on bail, a charge...) starts one update clock per victim; the update
is open until someone records that it was given."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from masip.access.managers import CaseScopedQuerySet, VisibleOnly
from masip.access.policy import Compartment
from masip.cases.models import ContactChannel
from masip.core.fields import EncryptedTextField
from masip.core.models import CaseDataModel

__all__ = [
    "VcopEvent",
    "VcopEventKind",
    "VcopEventSource",
    "VcopFrequency",
    "VcopUpdateDue",
    "VcopUpdateKind",
    "VcopUpdateStatus",
    "VcopVictimSettings",
    "VcopView",
    "VcopViewTopic",
]

# Working days within which a victim must be told of an event (Victims' Code right 6).
ENHANCED_WORKING_DAYS = 1
STANDARD_WORKING_DAYS = 5


class VcopEventKind(models.TextChoices):
    ARREST = "arrest", "Arrest"
    INTERVIEW = "interview", "Interview"
    RELEASED_ON_BAIL = "released_on_bail", "Released on bail"
    RELEASED_UNDER_INVESTIGATION = "released_under_investigation", "Released under investigation"
    BAIL_CONDITIONS_CHANGED = "bail_conditions_changed", "Bail conditions changed"
    CHARGED = "charged", "Charged"
    NO_FURTHER_ACTION = "no_further_action", "No further action"
    DECISION_NOT_TO_INVESTIGATE = "decision_not_to_investigate", "Decision not to investigate"
    COURT_DATE_SET = "court_date_set", "Court date set"
    ORDER_GRANTED = "order_granted", "Order granted"
    ORDER_REFUSED = "order_refused", "Order refused"


class VcopEventSource(models.TextChoices):
    LEGAL = "legal", "Recorded with the legal action"
    HAND = "hand", "Recorded by hand"


class VcopFrequency(models.TextChoices):
    WEEKLY = "weekly", "Weekly"
    FORTNIGHTLY = "fortnightly", "Fortnightly"
    MONTHLY = "monthly", "Monthly"
    EVENTS_ONLY = "events_only", "Only when something happens"


# The frequencies that make regular updates fall due, and how long each period lasts (months,
# days): a month is a calendar month (31 January + 1 month = 28 or 29 February).
REGULAR_PERIODS = {VcopFrequency.WEEKLY: (0, 7), VcopFrequency.FORTNIGHTLY: (0, 14), VcopFrequency.MONTHLY: (1, 0)}


class VcopUpdateStatus(models.TextChoices):
    OPEN = "open", "To be given"
    SENT = "sent", "Given"
    WITHDRAWN = "withdrawn", "No longer due"


class VcopUpdateKind(models.TextChoices):
    EVENT = "event", "Told of an event"
    REGULAR = "regular", "Regular update"


class VcopViewTopic(models.TextChoices):
    BAIL_CONDITIONS = "bail_conditions", "Bail conditions"
    ORDERS = "orders", "Orders (restraining order, SPO)"


class VcopVictimSettings(CaseDataModel):
    """What was agreed with one victim of a case. A victim without a row has the defaults:
    enhanced rights (most stalking victims qualify), frequency and channel not yet agreed."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="vcop_settings")
    participant = models.OneToOneField("cases.CaseParticipant", on_delete=models.CASCADE, related_name="vcop_settings")
    compartment = models.CharField(max_length=16, choices=Compartment.choices, default=Compartment.TEAM)
    enhanced_rights = models.BooleanField(default=True)
    enhanced_reason = EncryptedTextField(blank=True)
    update_frequency = models.CharField(max_length=16, choices=VcopFrequency.choices, blank=True)
    # The day the current frequency was agreed: regular updates are counted from it.
    frequency_agreed_on = models.DateField(null=True, blank=True)
    channel = models.CharField(max_length=16, choices=ContactChannel.choices, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)

    unscoped = CaseScopedQuerySet.as_manager()
    objects = VisibleOnly()
    access_case_path = "case"
    access_compartment_field = "compartment"

    class Meta:
        verbose_name = "Victims' Code agreement"

    def __str__(self) -> str:
        return f"Victims' Code agreement of {self.participant_id}"


class VcopView(CaseDataModel):
    """A victim's views on bail conditions or on an order, as they gave them on a day;
    `created_by` recorded them. Never changed: newer views are a new row."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="vcop_views")
    participant = models.ForeignKey("cases.CaseParticipant", on_delete=models.CASCADE, related_name="vcop_views")
    compartment = models.CharField(max_length=16, choices=Compartment.choices, default=Compartment.TEAM)
    topic = models.CharField(max_length=16, choices=VcopViewTopic.choices)
    given_on = models.DateField()
    views = EncryptedTextField()

    unscoped = CaseScopedQuerySet.as_manager()
    objects = VisibleOnly()
    access_case_path = "case"
    access_compartment_field = "compartment"

    class Meta:
        ordering = ["-given_on", "-created_at"]
        verbose_name = "victim's views"

    def __str__(self) -> str:
        return f"Victim's views on {self.get_topic_display().lower()} of {self.given_on:%d %b %Y}"


class VcopEvent(CaseDataModel):
    """A criminal-justice event each victim of the case must be told about."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="vcop_events")
    compartment = models.CharField(max_length=16, choices=Compartment.choices, default=Compartment.TEAM)
    kind = models.CharField(max_length=32, choices=VcopEventKind.choices)
    occurred_at = models.DateTimeField()
    source = models.CharField(max_length=8, choices=VcopEventSource.choices, default=VcopEventSource.HAND)

    unscoped = CaseScopedQuerySet.as_manager()
    objects = VisibleOnly()
    access_case_path = "case"
    access_compartment_field = "compartment"

    class Meta:
        ordering = ["-occurred_at"]
        verbose_name = "Victims' Code event"
        constraints = [
            models.UniqueConstraint(fields=["case", "kind", "occurred_at"], name="vcop_event_unique_per_time")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.occurred_at:%d %b %Y}"


class VcopUpdateDue(CaseDataModel):
    """One victim to be told of one event (kind `event`), or given their agreed regular update
    (kind `regular`, no event), by `due_on` (the end of that day), and, once done, when, how, by
    whom and what they were told. A regular update no longer due (the victim chose another
    frequency) is `withdrawn`, never deleted."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="vcop_updates")
    kind = models.CharField(max_length=8, choices=VcopUpdateKind.choices, default=VcopUpdateKind.EVENT)
    event = models.ForeignKey(VcopEvent, on_delete=models.CASCADE, related_name="updates", null=True, blank=True)
    participant = models.ForeignKey("cases.CaseParticipant", on_delete=models.CASCADE, related_name="vcop_updates")
    compartment = models.CharField(max_length=16, choices=Compartment.choices, default=Compartment.TEAM)
    # The victim's rights when the event was recorded: the deadline does not move afterwards.
    enhanced_rights = models.BooleanField()
    due_on = models.DateField()
    status = models.CharField(max_length=12, choices=VcopUpdateStatus.choices, default=VcopUpdateStatus.OPEN)
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_channel = models.CharField(max_length=16, choices=ContactChannel.choices, blank=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    summary = EncryptedTextField(blank=True)

    unscoped = CaseScopedQuerySet.as_manager()
    objects = VisibleOnly()
    access_case_path = "case"
    access_compartment_field = "compartment"

    class Meta:
        ordering = ["due_on", "created_at"]
        verbose_name = "Victims' Code update"
        indexes = [models.Index(fields=["case", "status", "due_on"], name="vcop_update_case_status")]
        constraints = [
            models.UniqueConstraint(fields=["event", "participant"], name="vcop_update_one_per_victim"),
            models.UniqueConstraint(
                fields=["participant"],
                condition=Q(kind="regular", status="open"),
                name="vcop_one_open_regular_per_victim",
            ),
            models.CheckConstraint(
                condition=Q(kind="event", event__isnull=False) | Q(kind="regular", event__isnull=True),
                name="vcop_update_event_iff_event_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"Update due {self.due_on:%d %b %Y}"

    @property
    def what(self) -> str:
        """What the victim is to be told of, for pages: the event, or "Regular update"."""
        event = self.event
        if event is None:
            return str(VcopUpdateKind.REGULAR.label)
        at = timezone.localtime(event.occurred_at)
        return f"{event.get_kind_display()}, {at.day} {at:%b %Y %H:%M}"
