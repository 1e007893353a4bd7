"""The case timeline: dated entries of stalking behaviour, and the red-flag alerts the rule
engine raises over them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from masip.access.managers import CaseScopedQuerySet, VisibleOnly
from masip.access.policy import Compartment
from masip.core.fields import EncryptedTextField
from masip.core.models import CaseDataModel, TimeStampedModel


class BehaviourType(models.Model):
    """One behaviour of the taxonomy (data/behaviours.yaml, synced on migrate)."""

    code = models.SlugField(max_length=48, unique=True)
    label = models.CharField(max_length=200)
    group = models.CharField(max_length=32)
    proximity = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return self.label


class ReportedBy(models.TextChoices):
    VICTIM = "victim", "The victim"
    VICTIM_DIARY = "victim_diary", "The victim's own diary or log"
    POLICE = "police", "Police"
    WITNESS = "witness", "A witness"
    THIRD_PARTY = "third_party", "A third party (family, employer, agency)"
    UNIT_STAFF = "unit_staff", "Unit staff"


class EntrySource(models.TextChoices):
    FORM = "form", "Entered one at a time"
    BULK = "bulk", "Entered as a batch"
    IMPORT = "import", "Imported from an incident log"


class TimelineEntry(CaseDataModel):
    """Something that happened: at an exact time, on a day, or over a range of days ("most
    evenings in March"), possibly many times (`incidents`: forty messages in one entry)."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="timeline_entries")
    compartment = models.CharField(max_length=16, choices=Compartment.choices, default=Compartment.TEAM)
    # The day it happened, or the first day of the range; `occurred_at` when the time is known.
    occurred_on = models.DateField()
    occurred_until = models.DateField(null=True, blank=True, help_text="The last day, for a range.")
    occurred_at = models.DateTimeField(null=True, blank=True)
    incidents = models.PositiveIntegerField(default=1, help_text="How many times, when one entry records several.")
    reported_on = models.DateField(null=True, blank=True)
    reported_by = models.CharField(max_length=16, choices=ReportedBy.choices)
    behaviours = models.ManyToManyField(BehaviourType, related_name="+")
    location = EncryptedTextField(blank=True)
    description = EncryptedTextField(blank=True)
    evidence = models.ManyToManyField("evidence.EvidenceItem", related_name="timeline_entries", blank=True)
    order_breached = models.ForeignKey(
        "cases.ParallelProcess", on_delete=models.PROTECT, related_name="breaches", null=True, blank=True
    )
    # A breach of an order of the case's orders register (interventions).
    order = models.ForeignKey(
        "interventions.Order", on_delete=models.PROTECT, related_name="breaches", null=True, blank=True
    )
    source = models.CharField(max_length=8, choices=EntrySource.choices, default=EntrySource.FORM)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)

    unscoped = CaseScopedQuerySet.as_manager()
    objects = VisibleOnly()
    access_case_path = "case"
    access_compartment_field = "compartment"

    class Meta:
        ordering = ["occurred_on", "occurred_at", "created_at"]
        indexes = [models.Index(fields=["case", "occurred_on"], name="timeline_case_day")]
        constraints = [
            models.CheckConstraint(
                condition=Q(occurred_until__isnull=True) | Q(occurred_until__gte=models.F("occurred_on")),
                name="timeline_range_in_order",
            ),
            models.CheckConstraint(condition=Q(incidents__gte=1), name="timeline_incidents_positive"),
        ]

    def __str__(self) -> str:
        return f"Timeline entry of {self.occurred_on:%d %b %Y}"


class ImportStatus(models.TextChoices):
    CHECKED = "checked", "Checked, waiting for confirmation"
    REFUSED = "refused", "Not importable: rows to correct"
    IMPORTED = "imported", "Imported"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Expired before confirmation"


class TimelineImport(CaseDataModel):
    """An incident log uploaded to a case's timeline: its dry-run report and, only until it is
    confirmed, cancelled or expires, the file itself (encrypted). Imported all at once or not at all."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="timeline_imports")
    # The compartment the imported entries go to, and so who may see the import.
    compartment = models.CharField(max_length=16, choices=Compartment.choices, default=Compartment.TEAM)
    status = models.CharField(max_length=16, choices=ImportStatus.choices, default=ImportStatus.CHECKED)
    file_name = EncryptedTextField()
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    content = EncryptedTextField(blank=True)
    content_deleted_at = models.DateTimeField(null=True, blank=True)
    total_rows = models.PositiveIntegerField(default=0)
    rejected_rows = models.PositiveIntegerField(default=0)
    # The dry run's line-by-line report (JSON); its reasons may quote the file's cells.
    report = EncryptedTextField(blank=True)
    imported_count = models.PositiveIntegerField(default=0)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    unscoped = CaseScopedQuerySet.as_manager()
    objects = VisibleOnly()
    access_case_path = "case"
    access_compartment_field = "compartment"

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Incident log import of {self.created_at:%d %b %Y}"


class AlertStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"


class Severity(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"


class RedFlagAlert(CaseDataModel):
    """A red flag a rule found on a case, explaining itself. Acknowledged with a note, never
    deleted; found again later, it is the same alert (by `fingerprint`), not a new one."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="red_flags")
    # The narrowest compartment of what the alert rests on: whoever reads the alert may read that.
    compartment = models.CharField(max_length=16, choices=Compartment.choices, default=Compartment.TEAM)
    rule_key = models.SlugField(max_length=64)
    rule_version = models.CharField(max_length=32, blank=True)
    fingerprint = models.CharField(max_length=64, help_text="Same rule, same facts: same alert.")
    title = models.CharField(max_length=200)
    severity = models.CharField(max_length=8, choices=Severity.choices, default=Severity.HIGH)
    explanation = EncryptedTextField()
    occurred_on = models.DateField(help_text="The day of the latest fact the alert rests on.")
    entries = models.ManyToManyField(TimelineEntry, related_name="red_flags", blank=True)
    status = models.CharField(max_length=16, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledgement = EncryptedTextField(blank=True)
    # Asks for the case to be heard at the unit's next panel meeting.
    for_panel = models.BooleanField(default=True)

    unscoped = CaseScopedQuerySet.as_manager()
    objects = VisibleOnly()
    access_case_path = "case"
    access_compartment_field = "compartment"

    class Meta:
        ordering = ["-occurred_on", "-created_at"]
        indexes = [models.Index(fields=["case", "status"], name="redflag_case_status")]
        constraints = [
            models.UniqueConstraint(fields=["case", "rule_key", "fingerprint"], name="redflag_unique_fingerprint")
        ]

    def __str__(self) -> str:
        return self.title


class RuleSet(TimeStampedModel):
    """A version of the red-flag rules (a declarative file), masip's own when `unit` is empty,
    else a unit's tuned copy. The latest version a unit has loaded is the one in force."""

    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    version = models.CharField(max_length=32)
    definition = models.JSONField()
    source_sha256 = models.CharField(max_length=64)
    loaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["unit", "version"], name="ruleset_unit_version")]
