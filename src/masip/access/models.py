"""Who may see which case: explicit, per-person case-team rows and break-glass grants."""

from __future__ import annotations

from datetime import timedelta

from django.db import models
from django.utils import timezone

from masip.core.models import TimeStampedModel

BREAK_GLASS_LIFETIME = timedelta(hours=8)


class CaseRole(models.TextChoices):
    LEAD_INVESTIGATOR = "lead_investigator", "Lead investigator"
    INVESTIGATOR = "investigator", "Investigator"
    LEAD_CLINICIAN = "lead_clinician", "Lead clinician"
    CLINICIAN = "clinician", "Clinician"
    ADVOCATE = "advocate", "Stalking advocate (ISAC)"
    OUTREACH_WORKER = "outreach_worker", "Outreach worker"
    UNIT_MANAGER = "unit_manager", "Unit manager"
    SUPPORT = "support", "Support officer"


class ActiveQuerySet(models.QuerySet):
    def active(self) -> ActiveQuerySet:
        now = timezone.now()
        return self.filter(models.Q(until__isnull=True) | models.Q(until__gt=now), since__lte=now)


class CaseTeamMember(TimeStampedModel):
    """One person on one case's team, granted by someone, for a purpose, possibly until a date.

    Sharing a case with one person never opens it to anyone else in their agency.
    """

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="team")
    user = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="case_teams")
    role_on_case = models.CharField(max_length=24, choices=CaseRole.choices)
    granted_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+", null=True)
    purpose = models.CharField(max_length=300)
    since = models.DateTimeField(default=timezone.now)
    until = models.DateTimeField(null=True, blank=True, help_text="Set when the member leaves the team.")

    objects = ActiveQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["user", "case"], name="team_user_case")]
        ordering = ["since"]

    def __str__(self) -> str:
        return f"{self.user} on {self.case_id} as {self.get_role_on_case_display()}"


class BreakGlassGrant(TimeStampedModel):
    """Access to one case outside the holder's caseload, for a written reason, for a few hours.

    Every grant is audited and shown to the unit's managers until one of them reviews it.
    """

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="break_glass_grants")
    user = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="break_glass_grants")
    reason = models.TextField()
    since = models.DateTimeField(default=timezone.now)
    until = models.DateTimeField()
    reviewed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)

    objects = ActiveQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["user", "case", "until"], name="breakglass_user_case")]
        ordering = ["-since"]
