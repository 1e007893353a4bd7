"""The case file: one case per stalking situation a unit manages, with its participants and notes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from masip.access.managers import CaseScopedQuerySet, VisibleOnly
from masip.access.policy import Compartment
from masip.core.fields import EncryptedTextField
from masip.core.models import CaseDataModel


class CaseStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACTIVE = "active", "Active risk management"
    UNDER_REVIEW = "under_review", "Under review"
    CLOSED = "closed", "Closed"
    REOPENED = "reopened", "Reopened"


class RiskLevel(models.TextChoices):
    NOT_ASSESSED = "not_assessed", "Not yet assessed"
    LOW = "low", "Low"
    MODERATE = "moderate", "Moderate"
    HIGH = "high", "High"


def case_reference(unit_code: str, year: int, number: int) -> str:
    """A case's reference as staff quote it: `<UNIT CODE>-<year>-<nnnn>`, numbered per year."""
    return f"{unit_code.upper()}-{year}-{number:04d}"


class Case(CaseDataModel):
    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="cases")
    reference = models.CharField(max_length=32, unique=True)
    status = models.CharField(max_length=16, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    risk_level = models.CharField(max_length=16, choices=RiskLevel.choices, default=RiskLevel.NOT_ASSESSED)
    lead_agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+", null=True)
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    summary = EncryptedTextField(blank=True, help_text="Case-team summary (compartment: team).")

    unscoped = CaseScopedQuerySet.as_manager()
    objects = VisibleOnly()
    access_case_path = ""

    class Meta:
        ordering = ["-opened_at"]
        indexes = [models.Index(fields=["unit", "status"], name="case_unit_status")]

    def __str__(self) -> str:
        return self.reference


class ParticipantRole(models.TextChoices):
    VICTIM = "victim", "Victim"
    PERPETRATOR = "perpetrator", "Perpetrator"
    SUSPECT = "suspect", "Suspect (not charged)"
    OTHER = "other", "Other person"


class CaseParticipant(CaseDataModel):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="participants")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="case_links")
    role = models.CharField(max_length=16, choices=ParticipantRole.choices)

    unscoped = CaseScopedQuerySet.as_manager()
    objects = VisibleOnly()
    access_case_path = "case"

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "person", "role"], name="participant_unique")]


class NoteKind(models.TextChoices):
    NOTE = "note", "Note"
    CONTACT = "contact", "Contact record"
    RELEASED_SUMMARY = "released_summary", "Clinical summary released to the team"


class ContactChannel(models.TextChoices):
    PHONE = "phone", "Phone"
    FACE_TO_FACE = "face_to_face", "Face to face"
    VIDEO = "video", "Video call"
    MESSAGING = "messaging", "Text or messaging"
    EMAIL = "email", "Email"
    LETTER = "letter", "Letter"
    OTHER = "other", "Other"


class CaseNote(CaseDataModel):
    """One entry on the case timeline, readable only within its compartment.

    A plain note, a contact record (when, who, with whom, channel; the body is its summary) or
    a clinical summary a clinician released to the team from a health note (`released_from`).
    One model keeps one timeline, one compartment rule and one edit history for all three.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    kind = models.CharField(max_length=16, choices=NoteKind.choices, default=NoteKind.NOTE)
    compartment = models.CharField(max_length=16, choices=Compartment.choices, default=Compartment.TEAM)
    body = EncryptedTextField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    # Contact records only.
    contact_at = models.DateTimeField(null=True, blank=True)
    contact_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    contact_with = models.ForeignKey(
        CaseParticipant, on_delete=models.PROTECT, related_name="contact_records", null=True, blank=True
    )
    contact_with_text = EncryptedTextField(blank=True)
    channel = models.CharField(max_length=16, choices=ContactChannel.choices, blank=True)
    # Released summaries only: the health note it summarises (never shown outside `health`).
    released_from = models.ForeignKey(
        "self", on_delete=models.PROTECT, related_name="released_summaries", null=True, blank=True
    )

    unscoped = CaseScopedQuerySet.as_manager()
    objects = VisibleOnly()
    access_case_path = "case"
    access_compartment_field = "compartment"

    class Meta:
        ordering = ["-created_at"]

    @property
    def is_contact(self) -> bool:
        return self.kind == NoteKind.CONTACT

    @property
    def is_released_summary(self) -> bool:
        return self.kind == NoteKind.RELEASED_SUMMARY


class CaseNoteRevision(CaseDataModel):
    """A version of a note as it stood before an edit replaced it: kept encrypted, never changed.

    `created_by`/`created_at` are who wrote this version and when; `replaced_by`/`replaced_at`
    who replaced it. Readable by whoever may read the note itself.
    """

    note = models.ForeignKey(CaseNote, on_delete=models.CASCADE, related_name="revisions")
    body = EncryptedTextField()
    contact_at = models.DateTimeField(null=True, blank=True)
    contact_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    contact_with = models.ForeignKey(CaseParticipant, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    contact_with_text = EncryptedTextField(blank=True)
    channel = models.CharField(max_length=16, choices=ContactChannel.choices, blank=True)
    replaced_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    replaced_at = models.DateTimeField()

    unscoped = CaseScopedQuerySet.as_manager()
    objects = VisibleOnly()
    access_case_path = "note__case"
    access_compartment_field = "note__compartment"

    class Meta:
        ordering = ["-version"]
        constraints = [models.UniqueConstraint(fields=["note", "version"], name="note_revision_unique")]
