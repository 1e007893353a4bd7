"""Referrals into a unit: what a partner tells the unit, the people it names, the screening,
and the triage decision on it."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q

from masip.access.managers import ReferralQuerySet, VisibleOnly, case_visibility
from masip.access.policy import Capability
from masip.access.principal import principal_for
from masip.core.fields import EncryptedTextField
from masip.core.models import CaseDataModel, TimeStampedModel


class ReferralStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    RECEIVED = "received", "Received"
    SCREENING = "screening", "Being screened"
    DECIDED = "decided", "Decision made"
    WITHDRAWN = "withdrawn", "Withdrawn"


# Referrals waiting for a triage decision: the screening queue and its deadlines.
OPEN_STATUSES = (ReferralStatus.RECEIVED, ReferralStatus.SCREENING)


class TriageDecision(models.TextChoices):
    ACCEPTED = "accepted", "Accepted for unit risk management"
    PARTNER_MANAGED = "partner_managed", "Partner-managed with unit advice"
    SIGNPOSTED = "signposted", "Signposted"
    NO_FURTHER_ACTION = "no_further_action", "No further action"


class Urgency(models.TextChoices):
    ROUTINE = "routine", "Routine"
    URGENT = "urgent", "Urgent"
    IMMEDIATE = "immediate", "Immediate"


class Relationship(models.TextChoices):
    EX_INTIMATE = "ex_intimate", "Ex-intimate partner"
    ACQUAINTANCE = "acquaintance", "Acquaintance"
    STRANGER = "stranger", "Stranger"
    FAMILY = "family", "Family member"
    WORK = "work", "Work colleague or contact"
    PROFESSIONAL_CLIENT = "professional_client", "Client or patient of a professional"
    ONLINE_ONLY = "online_only", "Known online only"
    NOT_KNOWN = "not_known", "Not known"


class Behaviour(models.TextChoices):
    UNWANTED_COMMUNICATION = "unwanted_communication", "Unwanted communication"
    ONLINE_MONITORING = "online_monitoring", "Monitoring online activity"
    TRACKING = "tracking", "Tracking (devices, apps or vehicles)"
    FOLLOWING = "following", "Following"
    LOITERING = "loitering", "Loitering or watching"
    TURNING_UP = "turning_up", "Turning up at home or work"
    APPROACHING = "approaching", "Approaching"
    THIRD_PARTIES = "third_parties", "Contacting third parties"
    PROPERTY_DAMAGE = "property_damage", "Damaging property"
    GIFTS_OR_ITEMS = "gifts_or_items", "Leaving gifts or items"
    THREATS = "threats", "Threats"
    PHYSICAL_VIOLENCE = "physical_violence", "Physical violence"
    SEXUAL_VIOLENCE = "sexual_violence", "Sexual violence"
    BREACH = "breach", "Breach of an order or bail"
    USING_OTHERS = "using_others", "Using others to stalk"


class Channel(models.TextChoices):
    WEB = "web", "Web form"
    API = "api", "API"
    IMPORT = "import", "File import"


class Referral(CaseDataModel):
    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="referrals")
    reference = models.CharField(max_length=32, unique=True)
    source_agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    referred_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="referrals_made", null=True, blank=True
    )
    # The sender's own reference: the idempotency key for referrals that arrive by API or import.
    external_reference = models.CharField(max_length=64, blank=True)
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.WEB)
    # Keyed digest of what the sender sent (see referral_receive): a resend under the same
    # external reference with different content is refused, not silently dropped or merged.
    intake_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    # Empty while a draft: a referral is received when it is submitted.
    received_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=ReferralStatus.choices, default=ReferralStatus.RECEIVED)
    urgency = models.CharField(max_length=16, choices=Urgency.choices, default=Urgency.ROUTINE)
    relationship = models.CharField(max_length=24, choices=Relationship.choices, blank=True)
    behaviours = models.JSONField(default=list, blank=True, help_text="Behaviour values, in the order chosen.")
    crime_reference = models.CharField(max_length=64, blank=True)
    existing_orders = EncryptedTextField(blank=True)
    # None until the referrer records an answer: "not asked" is different from "declined".
    consent_to_referral = models.BooleanField(null=True, blank=True)
    consent_to_referral_on = models.DateField(null=True, blank=True)
    consent_to_sharing = models.BooleanField(null=True, blank=True)
    consent_to_sharing_on = models.DateField(null=True, blank=True)
    summary = EncryptedTextField(blank=True, help_text="The referrer's description of what has happened.")
    screener = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="referrals_to_screen", null=True, blank=True
    )
    decision_deadline = models.DateField(null=True, blank=True)
    decision = models.CharField(max_length=24, choices=TriageDecision.choices, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    decision_reasons = EncryptedTextField(blank=True)
    # The unit's advice to the referrer on a partner-managed referral: the referrer reads it.
    advice = EncryptedTextField(blank=True)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="referrals", null=True, blank=True)

    unscoped = ReferralQuerySet.as_manager()
    objects = VisibleOnly()

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["unit", "-received_at"], name="referral_unit_received"),
            models.Index(fields=["unit", "status", "decision_deadline"], name="referral_unit_queue"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source_agency", "external_reference"],
                condition=~Q(external_reference=""),
                name="referral_external_reference_unique",
            )
        ]

    def __str__(self) -> str:
        return self.reference


class SubjectRole(models.TextChoices):
    VICTIM = "victim", "Victim"
    SUSPECT = "suspect", "Suspect"


def _referral_scoped(user: Any, path: str) -> Q:
    """Rows reached from a referral the user may see (the referral's own rules)."""
    return Q(**{f"{path}__in": Referral.unscoped.visible_to(user).values("pk")})


class ReferralSubjectQuerySet(models.QuerySet["ReferralSubject"]):
    def visible_to(self, user: Any) -> ReferralSubjectQuerySet:
        """The people named in referrals the user may see (the referrer sees whom they named)."""
        if principal_for(user).is_anonymous:
            return self.none()
        return self.filter(_referral_scoped(user, "referral"))


class ReferralSubject(CaseDataModel):
    """A person a referral names, as the referrer entered them, until a screener links them to
    a Person in the unit (or creates one)."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="subjects")
    role = models.CharField(max_length=16, choices=SubjectRole.choices)
    # A suspect whose identity is not known ("stalker not identified") is a valid referral.
    unidentified = models.BooleanField(default=False)
    given_name = models.CharField(max_length=100, blank=True)
    family_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    approximate_age = models.PositiveSmallIntegerField(null=True, blank=True)
    gender = models.CharField(max_length=16, blank=True)
    pnc_id = EncryptedTextField(blank=True)
    nhs_number = EncryptedTextField(blank=True)
    address = EncryptedTextField(blank=True)
    phone = EncryptedTextField(blank=True)
    email = EncryptedTextField(blank=True)
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="referral_mentions", null=True, blank=True
    )

    unscoped = ReferralSubjectQuerySet.as_manager()
    objects = VisibleOnly()

    class Meta:
        ordering = ["referral", "role", "created_at"]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.display_name}"

    @property
    def display_name(self) -> str:
        if self.unidentified:
            return "Not identified"
        return " ".join(part for part in (self.given_name, self.family_name) if part) or "Name not given"


class FourAnswer(models.TextChoices):
    YES = "yes", "Yes"
    NO = "no", "No"
    UNKNOWN = "unknown", "Not known"


class ScreeningQuerySet(models.QuerySet["Screening"]):
    def visible_to(self, user: Any) -> ScreeningQuerySet:
        """Screenings are the unit's working papers: triage roles in the unit and, once a case
        is open, its team. Never the referrer."""
        principal = principal_for(user)
        if principal.is_anonymous:
            return self.none()
        q = Q(referral__unit_id__in=principal.units_with(Capability.TRIAGE_REFERRALS))
        q |= Q(referral__case__isnull=False) & case_visibility(user, "referral__case")
        return self.filter(q)


class Screening(CaseDataModel):
    """One screening per referral: the FOUR check and answers to a screening question set."""

    referral = models.OneToOneField(Referral, on_delete=models.CASCADE, related_name="screening")
    screened_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    fixated = models.CharField(max_length=8, choices=FourAnswer.choices, default=FourAnswer.UNKNOWN)
    obsessive = models.CharField(max_length=8, choices=FourAnswer.choices, default=FourAnswer.UNKNOWN)
    unwanted = models.CharField(max_length=8, choices=FourAnswer.choices, default=FourAnswer.UNKNOWN)
    repeated = models.CharField(max_length=8, choices=FourAnswer.choices, default=FourAnswer.UNKNOWN)
    # Police advice is to think stalking first and record why conduct is harassment instead.
    harassment_not_stalking = models.BooleanField(default=False)
    harassment_reason = EncryptedTextField(blank=True)
    question_set_id = models.CharField(max_length=64)
    question_set_version = models.PositiveSmallIntegerField()
    answers = models.JSONField(default=dict, blank=True, help_text="Question id to yes / no / unknown.")
    notes = EncryptedTextField(blank=True)

    unscoped = ScreeningQuerySet.as_manager()
    objects = VisibleOnly()

    def __str__(self) -> str:
        return f"Screening of {self.referral_id}"


class TriageDeadlines(TimeStampedModel):
    """How many working days a unit allows for a triage decision, by urgency."""

    DEFAULTS = {Urgency.IMMEDIATE: 1, Urgency.URGENT: 2, Urgency.ROUTINE: 5}

    unit = models.OneToOneField("accounts.Unit", on_delete=models.CASCADE, related_name="triage_deadlines")
    immediate_days = models.PositiveSmallIntegerField(default=DEFAULTS[Urgency.IMMEDIATE])
    urgent_days = models.PositiveSmallIntegerField(default=DEFAULTS[Urgency.URGENT])
    routine_days = models.PositiveSmallIntegerField(default=DEFAULTS[Urgency.ROUTINE])

    class Meta:
        verbose_name_plural = "triage deadlines"

    def __str__(self) -> str:
        return f"Triage deadlines for {self.unit}"

    def days_for(self, urgency: str) -> int:
        return int(getattr(self, f"{Urgency(urgency).value}_days"))

    @classmethod
    def days_for_unit(cls, unit_id: int, urgency: str) -> int:
        row = cls.objects.filter(unit_id=unit_id).first()
        return row.days_for(urgency) if row is not None else cls.DEFAULTS[Urgency(urgency)]


class ImportStatus(models.TextChoices):
    CHECKING = "checking", "Checking the file"
    CHECKED = "checked", "Checked: waiting for you to import"
    IMPORTING = "importing", "Importing"
    IMPORTED = "imported", "Imported"
    FAILED = "failed", "Could not be read"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Expired before it was imported"


# While an import job is in one of these, its uploaded file is still kept (encrypted).
IMPORT_ACTIVE_STATUSES = (ImportStatus.CHECKING, ImportStatus.CHECKED, ImportStatus.IMPORTING)


class ImportJobQuerySet(models.QuerySet["ImportJob"]):
    def visible_to(self, user: Any) -> ImportJobQuerySet:
        """A unit's imports are its screeners' work: people who may triage the unit's referrals."""
        principal = principal_for(user)
        if principal.is_anonymous:
            return self.none()
        return self.filter(unit_id__in=principal.units_with(Capability.TRIAGE_REFERRALS))


class ImportJob(CaseDataModel):
    """One uploaded file of referrals (docs/referral-import.md): checked in a dry run, then,
    once confirmed, imported row by row. The file holds personal data: it is kept encrypted
    only while the job needs it, and the report names rows by line number and reference."""

    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="referral_imports")
    file_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField(help_text="Bytes, as uploaded.")
    sha256 = models.CharField(max_length=64)
    encoding = models.CharField(max_length=16, default="utf-8")
    status = models.CharField(max_length=16, choices=ImportStatus.choices, default=ImportStatus.CHECKING)
    # The decoded text of the file, until the import has finished or the job expires.
    content = EncryptedTextField(blank=True)
    content_deleted_at = models.DateTimeField(null=True, blank=True)
    total_rows = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    # Counts of the last pass: the dry run until the import has run, then the import's own.
    to_create = models.PositiveIntegerField(default=0)
    already_received = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    # JSON list of {"line", "reference", "reason"} for each rejected row (reasons may name people).
    report = EncryptedTextField(blank=True)
    # Why the whole file could not be read, when status is `failed`.
    failure = models.TextField(blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    unscoped = ImportJobQuerySet.as_manager()
    objects = VisibleOnly()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["unit", "-created_at"], name="referral_import_unit_created")]

    def __str__(self) -> str:
        return f"Import of {self.file_name}"

    @property
    def is_active(self) -> bool:
        return self.status in IMPORT_ACTIVE_STATUSES

    @property
    def percent_done(self) -> int:
        return min(100, self.rows_done * 100 // self.total_rows) if self.total_rows else 0
