"""The case file: one case per stalking situation a unit manages, with its participants and notes."""

from __future__ import annotations

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


class CaseNote(CaseDataModel):
    """A note on the case, readable only within its compartment."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    compartment = models.CharField(max_length=16, choices=Compartment.choices, default=Compartment.TEAM)
    body = EncryptedTextField()

    unscoped = CaseScopedQuerySet.as_manager()
    objects = VisibleOnly()
    access_case_path = "case"
    access_compartment_field = "compartment"

    class Meta:
        ordering = ["-created_at"]
