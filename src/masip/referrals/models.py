"""Referrals into a unit and the triage decision on each."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from masip.access.managers import ReferralQuerySet, VisibleOnly
from masip.core.fields import EncryptedTextField
from masip.core.models import CaseDataModel


class ReferralStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    SCREENING = "screening", "Being screened"
    DECIDED = "decided", "Decision made"


class TriageDecision(models.TextChoices):
    ACCEPTED = "accepted", "Accepted for unit risk management"
    PARTNER_MANAGED = "partner_managed", "Partner-managed with unit advice"
    SIGNPOSTED = "signposted", "Signposted"
    NO_FURTHER_ACTION = "no_further_action", "No further action"


class Referral(CaseDataModel):
    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="referrals")
    reference = models.CharField(max_length=32, unique=True)
    source_agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    referred_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="referrals_made", null=True, blank=True
    )
    external_reference = models.CharField(max_length=64, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=16, choices=ReferralStatus.choices, default=ReferralStatus.RECEIVED)
    decision = models.CharField(max_length=24, choices=TriageDecision.choices, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="referrals", null=True, blank=True)
    summary = EncryptedTextField(blank=True)

    unscoped = ReferralQuerySet.as_manager()
    objects = VisibleOnly()

    class Meta:
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["unit", "-received_at"], name="referral_unit_received")]

    def __str__(self) -> str:
        return self.reference
