"""Models of the interventions app: perpetrator.

What the unit does with the perpetrator (or suspect) of a case: assessments, treatment
programmes and their weekly sessions, referrals, support and warnings, and the clinician's
decision on whether therapeutic work is suitable at all.

Where each kind of intervention is kept (`KIND_COMPARTMENTS`, the first is the default):

* clinical work (a psychological assessment, a treatment programme, a mental-health referral)
  is health data and stays in `health`, the clinicians' compartment, and nowhere else;
* a substance-misuse referral is kept with the team by default (it is often made through
  probation or a community service) and may be kept in `health` when a clinician makes it;
* social support (housing, employment) is the team's;
* a warning or advice visit is made by the police and kept in `police` by default, or shared
  with the team when the visit was planned with it;
* a multi-agency referral (MAPPA, probation) is the team's, or the police's;
* anything else may go in team, police or health.

Nothing of the perpetrator's belongs in `advocacy` (the victim's confidences) or in the
victim's contact details. Programme sessions and suitability decisions are always `health`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from masip.access.managers import CaseScopedQuerySet, VisibleOnly
from masip.access.policy import Compartment
from masip.core.fields import EncryptedTextField
from masip.core.models import CaseDataModel

__all__ = [
    "Attendance",
    "InterventionKind",
    "InterventionStatus",
    "PerpetratorIntervention",
    "ProgrammeSession",
    "Suitability",
    "SuitabilityDecision",
]


class InterventionKind(models.TextChoices):
    PSYCHOLOGICAL_ASSESSMENT = "psych_assessment", "Psychological assessment"
    TREATMENT_PROGRAMME = "treatment_programme", "Treatment programme"
    MENTAL_HEALTH_REFERRAL = "mental_health_referral", "Mental health referral"
    SUBSTANCE_MISUSE_REFERRAL = "substance_misuse_referral", "Substance misuse referral"
    SOCIAL_SUPPORT = "social_support", "Social support (housing, employment)"
    WARNING_VISIT = "warning_visit", "Warning or advice visit"
    MULTI_AGENCY_REFERRAL = "multi_agency_referral", "Multi-agency referral (MAPPA, probation)"
    OTHER = "other", "Other"


class InterventionStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    WITHDRAWN = "withdrawn", "Withdrawn"


CLINICAL_KINDS = frozenset(
    {
        InterventionKind.PSYCHOLOGICAL_ASSESSMENT,
        InterventionKind.TREATMENT_PROGRAMME,
        InterventionKind.MENTAL_HEALTH_REFERRAL,
    }
)

# kind -> the compartments it may be kept in; the first is where it goes unless told otherwise.
KIND_COMPARTMENTS: dict[str, tuple[Compartment, ...]] = {
    InterventionKind.PSYCHOLOGICAL_ASSESSMENT: (Compartment.HEALTH,),
    InterventionKind.TREATMENT_PROGRAMME: (Compartment.HEALTH,),
    InterventionKind.MENTAL_HEALTH_REFERRAL: (Compartment.HEALTH,),
    InterventionKind.SUBSTANCE_MISUSE_REFERRAL: (Compartment.TEAM, Compartment.HEALTH),
    InterventionKind.SOCIAL_SUPPORT: (Compartment.TEAM,),
    InterventionKind.WARNING_VISIT: (Compartment.POLICE, Compartment.TEAM),
    InterventionKind.MULTI_AGENCY_REFERRAL: (Compartment.TEAM, Compartment.POLICE),
    InterventionKind.OTHER: (Compartment.TEAM, Compartment.POLICE, Compartment.HEALTH),
}


class PerpetratorIntervention(CaseDataModel):
    """One intervention with the perpetrator or suspect of a case."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="perpetrator_interventions")
    participant = models.ForeignKey("cases.CaseParticipant", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=32, choices=InterventionKind.choices)
    compartment = models.CharField(max_length=16, choices=Compartment.choices)
    provider = models.CharField(max_length=200, blank=True)
    started_on = models.DateField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=InterventionStatus.choices, default=InterventionStatus.PROPOSED)
    outcome = EncryptedTextField(blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)

    unscoped = CaseScopedQuerySet.as_manager()
    objects = VisibleOnly()
    access_case_path = "case"
    access_compartment_field = "compartment"

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True)
                | Q(started_on__isnull=True)
                | Q(ended_on__gte=models.F("started_on")),
                name="perpetrator_intervention_dates_in_order",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display().lower()})"

    @property
    def is_programme(self) -> bool:
        return self.kind == InterventionKind.TREATMENT_PROGRAMME


class Attendance(models.TextChoices):
    ATTENDED = "attended", "Attended"
    DID_NOT_ATTEND = "did_not_attend", "Did not attend"
    CANCELLED_BY_PROVIDER = "cancelled_provider", "Cancelled by the provider"
    CANCELLED_BY_CLIENT = "cancelled_client", "Cancelled by the client"


class ProgrammeSession(CaseDataModel):
    """One planned session of a treatment programme, and whether the person came. Clinical."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    programme = models.ForeignKey(PerpetratorIntervention, on_delete=models.CASCADE, related_name="sessions")
    compartment = models.CharField(max_length=16, choices=Compartment.choices, default=Compartment.HEALTH)
    number = models.PositiveSmallIntegerField()
    planned_on = models.DateField()
    is_follow_up = models.BooleanField(default=False)
    attendance = models.CharField(max_length=20, choices=Attendance.choices, blank=True)
    note = EncryptedTextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    recorded_at = models.DateTimeField(null=True, blank=True)

    unscoped = CaseScopedQuerySet.as_manager()
    objects = VisibleOnly()
    access_case_path = "case"
    access_compartment_field = "compartment"

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "number"], name="perpetrator_session_number_unique")
        ]

    def __str__(self) -> str:
        return "Follow-up session" if self.is_follow_up else f"Session {self.number}"


class Suitability(models.TextChoices):
    SUITABLE = "suitable", "Suitable for therapeutic intervention"
    NOT_SUITABLE = "not_suitable", "Not suitable"
    DEFERRED = "deferred", "Deferred (for example, no direct treatment while a police investigation is live)"


class SuitabilityDecision(CaseDataModel):
    """A clinician's decision on therapeutic work with the perpetrator. A later decision
    supersedes it; none is ever changed or deleted. Clinical."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    participant = models.ForeignKey("cases.CaseParticipant", on_delete=models.PROTECT, related_name="+")
    compartment = models.CharField(max_length=16, choices=Compartment.choices, default=Compartment.HEALTH)
    decision = models.CharField(max_length=16, choices=Suitability.choices)
    reasons = EncryptedTextField()
    decided_on = models.DateField()
    review_on = models.DateField(null=True, blank=True)
    superseded_by = models.OneToOneField(
        "self", on_delete=models.PROTECT, related_name="supersedes", null=True, blank=True
    )

    unscoped = CaseScopedQuerySet.as_manager()
    objects = VisibleOnly()
    access_case_path = "case"
    access_compartment_field = "compartment"

    class Meta:
        ordering = ["-decided_on", "-created_at"]

    def __str__(self) -> str:
        return f"Suitability decision of {self.decided_on:%d %b %Y}"
