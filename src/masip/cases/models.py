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


class ClosureReason(models.TextChoices):
    RISK_REDUCED = "risk_reduced", "Risk reduced: the stalking has stopped"
    VICTIM_DECLINED = "victim_declined", "Victim no longer wants the unit's support"
    TRANSFERRED = "transferred", "Transferred to another unit or agency"
    PERPETRATOR_CUSTODY = "perpetrator_custody", "Perpetrator in long-term custody"
    NO_CONTACT = "no_contact", "Victim could not be contacted"
    NOT_STALKING = "not_stalking", "Not stalking after further enquiry"
    OTHER = "other", "Other reason"


def case_reference(unit_code: str, year: int, number: int) -> str:
    """A case's reference as staff quote it: `<UNIT CODE>-<year>-<nnnn>`, numbered per year."""
    return f"{unit_code.upper()}-{year}-{number:04d}"


class Case(CaseDataModel):
    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="cases")
    reference = models.CharField(max_length=32, unique=True)
    status = models.CharField(max_length=16, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    risk_level = models.CharField(max_length=16, choices=RiskLevel.choices, default=RiskLevel.NOT_ASSESSED)
    # The day the latest completed assessment or formulation describes; kept by risk.current.
    risk_assessed_on = models.DateField(null=True, blank=True)
    lead_agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+", null=True)
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    summary = EncryptedTextField(blank=True, help_text="Case-team summary (compartment: team).")
    # The latest closure, kept while the case is closed (every closure stays in the status history).
    closure_reason = models.CharField(max_length=24, choices=ClosureReason.choices, blank=True)
    closure_details = EncryptedTextField(blank=True)
    risk_at_closure = models.CharField(max_length=16, choices=RiskLevel.choices, blank=True)
    # A re-referral within REPEAT_WINDOW of the closure of a case about the same victim or perpetrator.
    repeat_of = models.ForeignKey("self", on_delete=models.PROTECT, related_name="repeats", null=True, blank=True)

    unscoped = CaseScopedQuerySet.as_manager()
    objects = VisibleOnly()
    access_case_path = ""

    class Meta:
        ordering = ["-opened_at"]
        indexes = [models.Index(fields=["unit", "status"], name="case_unit_status")]

    def __str__(self) -> str:
        return self.reference


class CaseStatusChange(CaseDataModel):
    """One move of a case's status, by `created_by` at `created_at`; never changed afterwards."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=16, choices=CaseStatus.choices)
    to_status = models.CharField(max_length=16, choices=CaseStatus.choices)
    reason = EncryptedTextField(blank=True)
    closure_reason = models.CharField(max_length=24, choices=ClosureReason.choices, blank=True)
    risk_at_closure = models.CharField(max_length=16, choices=RiskLevel.choices, blank=True)
    # The case's version once this change was written: a stale edit names the changes it missed.
    case_version = models.PositiveIntegerField()

    unscoped = CaseScopedQuerySet.as_manager()
    objects = VisibleOnly()
    access_case_path = "case"

    class Meta:
        ordering = ["-created_at"]


class ParticipantRole(models.TextChoices):
    VICTIM = "victim", "Victim"
    PERPETRATOR = "perpetrator", "Perpetrator"
    SUSPECT = "suspect", "Suspect (not charged)"
    WITNESS = "witness", "Witness"
    FAMILY = "family", "Family member"
    NEW_PARTNER = "new_partner", "New partner"
    OTHER = "other", "Other person"


# The roles whose people make a later referral a further referral or a repeat.
PRINCIPAL_ROLES = (ParticipantRole.VICTIM, ParticipantRole.PERPETRATOR, ParticipantRole.SUSPECT)


class CaseParticipant(CaseDataModel):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="participants")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="case_links")
    role = models.CharField(max_length=16, choices=ParticipantRole.choices)
    relationship = models.CharField(
        max_length=200, blank=True, help_text="Their part in this case in a few words, e.g. “victim's sister”."
    )
    # A participation ends (the person is no longer involved); the row is kept.
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True)

    unscoped = CaseScopedQuerySet.as_manager()
    objects = VisibleOnly()
    access_case_path = "case"

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["case", "person", "role"],
                condition=models.Q(ended_at__isnull=True),
                name="participant_unique_current",
            )
        ]


class ProcessKind(models.TextChoices):
    MARAC = "marac", "MARAC"
    MAPPA = "mappa", "MAPPA"
    SPO = "spo", "Stalking Protection Order"
    OTHER_UNIT = "other_unit", "Another unit or agency involved"


class MappaCategory(models.TextChoices):
    ONE = "1", "Category 1: registered sexual offender"
    TWO = "2", "Category 2: violent offender"
    THREE = "3", "Category 3: other dangerous offender"


class MappaLevel(models.TextChoices):
    ONE = "1", "Level 1: ordinary agency management"
    TWO = "2", "Level 2: multi-agency meetings"
    THREE = "3", "Level 3: senior multi-agency management"


class SpoStage(models.TextChoices):
    INTERIM_APPLIED = "interim_applied", "Interim order applied for"
    INTERIM_GRANTED = "interim_granted", "Interim order granted"
    FULL_APPLIED = "full_applied", "Full order applied for"
    FULL_GRANTED = "full_granted", "Full order granted"
    REFUSED = "refused", "Refused"


class ParallelProcess(CaseDataModel):
    """A process run beside the case (MARAC, MAPPA, an SPO, another unit), with its lead agency."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="processes")
    kind = models.CharField(max_length=16, choices=ProcessKind.choices)
    lead_agency = models.CharField(max_length=200)
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    marac_heard_on = models.DateField(null=True, blank=True)
    mappa_category = models.CharField(max_length=1, choices=MappaCategory.choices, blank=True)
    mappa_level = models.CharField(max_length=1, choices=MappaLevel.choices, blank=True)
    spo_stage = models.CharField(max_length=16, choices=SpoStage.choices, blank=True)
    other_unit = models.CharField(max_length=200, blank=True)

    unscoped = CaseScopedQuerySet.as_manager()
    objects = VisibleOnly()
    access_case_path = "case"

    class Meta:
        ordering = ["started_on", "created_at"]

    @property
    def summary(self) -> str:
        """The process's particulars in one line, as the case page shows them."""
        if self.kind == ProcessKind.MARAC:
            heard = self.marac_heard_on
            return f"Heard {heard.day} {heard:%B %Y}" if heard else "Not yet heard"
        if self.kind == ProcessKind.MAPPA:
            return f"{self.get_mappa_category_display()}; {self.get_mappa_level_display()}"
        if self.kind == ProcessKind.SPO:
            return str(self.get_spo_stage_display())
        return self.other_unit


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
