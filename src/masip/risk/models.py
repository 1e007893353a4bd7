"""Risk: instruments loaded as versioned data, assessments made with them, structured
professional judgement (formulations), and the events that call for re-assessment."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from masip.access.managers import CaseScopedQuerySet, VisibleOnly, case_visibility, compartment_visibility
from masip.access.policy import Capability, Compartment
from masip.access.principal import principal_for
from masip.core.fields import EncryptedTextField
from masip.core.models import CaseDataModel, TimeStampedModel
from masip.risk.definition import Definition, parse_definition


class Instrument(TimeStampedModel):
    """One instrument a unit may use, under a stable key (its versions hold the items).
    `unit` is empty for the sets masip ships, which every unit is offered."""

    unit = models.ForeignKey(
        "accounts.Unit", on_delete=models.PROTECT, related_name="instruments", null=True, blank=True
    )
    key = models.SlugField(max_length=64)
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "key"], name="instrument_unit_key"),
            models.UniqueConstraint(fields=["key"], condition=Q(unit__isnull=True), name="instrument_shipped_key"),
        ]

    def __str__(self) -> str:
        return self.name


class ImmutableVersionError(Exception):
    """A loaded instrument version is never changed: load a new version instead."""


class InstrumentVersion(TimeStampedModel):
    """One loaded version of an instrument, immutable once stored: assessments keep the
    version they were made with, whatever is loaded later."""

    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="versions")
    version = models.CharField(max_length=32)
    definition = models.JSONField(help_text="The validated definition, as loaded.")
    source_sha256 = models.CharField(max_length=64, help_text="SHA-256 of the file it was loaded from.")
    licence = models.TextField(blank=True)
    illustrative = models.BooleanField(default=False)
    loaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    # A withdrawn version is no longer offered for new assessments; past ones keep it.
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["instrument__name", "-created_at"]
        constraints = [models.UniqueConstraint(fields=["instrument", "version"], name="instrument_version_unique")]

    def __str__(self) -> str:
        return f"{self.instrument.name} v{self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and kwargs.get("update_fields") != ["withdrawn_at"]:
            raise ImmutableVersionError(
                f"{self} is already loaded and cannot be changed; load the changed file as a new version."
            )
        super().save(*args, **kwargs)

    @property
    def parsed(self) -> Definition:
        cached: Definition | None = getattr(self, "_parsed", None)
        if cached is None:
            cached = self._parsed = parse_definition(self.definition)
        return cached


class AssessmentStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    COMPLETED = "completed", "Completed"


class RiskLevelChoice(models.TextChoices):
    LOW = "low", "Low"
    MODERATE = "moderate", "Moderate"
    HIGH = "high", "High"


def _referral_or_case_visibility(user: Any, compartment_field: str, action: str) -> Q:
    """Assessments and formulations of a case follow the case; those made on a referral before
    a case opened are the unit's triage papers. Either way, within the compartments allowed."""
    principal = principal_for(user)
    if principal.is_anonymous:
        return Q(pk__in=[])
    on_case = Q(case__isnull=False) & case_visibility(user, "case")
    on_referral = Q(case__isnull=True, unit_id__in=principal.units_with(Capability.TRIAGE_REFERRALS))
    return (on_case | on_referral) & compartment_visibility(user, "", compartment_field, action)


class Assessment(CaseDataModel):
    """A dated snapshot: who assessed, with which instrument version, the answers, the
    computed score and band, and any professional judgement that raised it."""

    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="assessments", null=True, blank=True)
    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.PROTECT, related_name="assessments", null=True, blank=True
    )
    instrument_version = models.ForeignKey(InstrumentVersion, on_delete=models.PROTECT, related_name="assessments")
    status = models.CharField(max_length=16, choices=AssessmentStatus.choices, default=AssessmentStatus.DRAFT)
    compartment = models.CharField(max_length=16, choices=Compartment.choices, default=Compartment.TEAM)
    assessor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assessed_on = models.DateField(help_text="The day the assessment describes (usually the day it was made).")
    answers_json = EncryptedTextField(blank=True, default="")
    # Computed by the engine at completion; never typed in.
    score = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    computed_band = models.CharField(max_length=64, blank=True)
    computed_level = models.CharField(max_length=16, choices=RiskLevelChoice.choices, blank=True)
    # Professional judgement may only raise the computed level, with a written reason.
    level = models.CharField(max_length=16, choices=RiskLevelChoice.choices, blank=True)
    judgement_reason = EncryptedTextField(blank=True)
    rationale = EncryptedTextField(blank=True, help_text="The assessor's summary of the result.")
    completed_at = models.DateTimeField(null=True, blank=True)

    unscoped = CaseScopedQuerySet.as_manager()
    objects = VisibleOnly()
    access_case_path = "case"
    access_compartment_field = "compartment"

    class Meta:
        ordering = ["-assessed_on", "-created_at"]
        indexes = [models.Index(fields=["case", "status", "-assessed_on"], name="assessment_case_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(case__isnull=False) | Q(referral__isnull=False), name="assessment_case_or_referral"
            )
        ]

    @staticmethod
    def visibility_q(user: Any, action: str = "view") -> Q:
        return _referral_or_case_visibility(user, "compartment", action)

    def __str__(self) -> str:
        return f"{self.instrument_version} on {self.assessed_on:%d %b %Y}"

    @property
    def answers(self) -> dict[str, Any]:
        return json.loads(self.answers_json) if self.answers_json else {}

    @answers.setter
    def answers(self, value: dict[str, Any]) -> None:
        self.answers_json = json.dumps(value, sort_keys=True)

    @property
    def raised(self) -> bool:
        return bool(self.level and self.computed_level and self.level != self.computed_level)


class StalkerType(models.TextChoices):
    """The five types of the field's typology (motivation and relationship context)."""

    REJECTED = "rejected", "Rejected"
    RESENTFUL = "resentful", "Resentful"
    INTIMACY_SEEKING = "intimacy_seeking", "Intimacy seeking"
    INCOMPETENT_SUITOR = "incompetent_suitor", "Incompetent suitor"
    PREDATORY = "predatory", "Predatory"


class Formulation(CaseDataModel):
    """A structured professional judgement by a trained clinician: typology, the four risk
    domains, risk status and risk state, scenarios and what should follow."""

    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="formulations")
    status = models.CharField(max_length=16, choices=AssessmentStatus.choices, default=AssessmentStatus.DRAFT)
    compartment = models.CharField(max_length=16, choices=Compartment.choices, default=Compartment.HEALTH)
    assessor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assessed_on = models.DateField()
    # An SPJ instrument the unit licenses may be answered alongside (its items are data too).
    assessment = models.ForeignKey(
        Assessment, on_delete=models.PROTECT, related_name="formulations", null=True, blank=True
    )
    stalker_type = models.CharField(max_length=24, choices=StalkerType.choices, blank=True)
    stalker_type_reason = EncryptedTextField(blank=True)
    violence = models.CharField(max_length=16, choices=RiskLevelChoice.choices, blank=True)
    violence_rationale = EncryptedTextField(blank=True)
    persistence = models.CharField(max_length=16, choices=RiskLevelChoice.choices, blank=True)
    persistence_rationale = EncryptedTextField(blank=True)
    recurrence = models.CharField(max_length=16, choices=RiskLevelChoice.choices, blank=True)
    recurrence_rationale = EncryptedTextField(blank=True)
    psychosocial_damage = models.CharField(max_length=16, choices=RiskLevelChoice.choices, blank=True)
    psychosocial_damage_rationale = EncryptedTextField(blank=True)
    victim_vulnerability = EncryptedTextField(blank=True)
    # Status: long-run, compared with other stalkers (mostly static factors).
    # State: this person's risk now (dynamic factors); the case's current risk follows state.
    risk_status = models.CharField(max_length=16, choices=RiskLevelChoice.choices, blank=True)
    risk_status_rationale = EncryptedTextField(blank=True)
    risk_state = models.CharField(max_length=16, choices=RiskLevelChoice.choices, blank=True)
    risk_state_rationale = EncryptedTextField(blank=True)
    recommendations = EncryptedTextField(blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    unscoped = CaseScopedQuerySet.as_manager()
    objects = VisibleOnly()
    access_case_path = "case"
    access_compartment_field = "compartment"

    class Meta:
        ordering = ["-assessed_on", "-created_at"]
        indexes = [models.Index(fields=["case", "status", "-assessed_on"], name="formulation_case_status")]

    def __str__(self) -> str:
        return f"Formulation of {self.assessed_on:%d %b %Y}"


class Likelihood(models.TextChoices):
    LOW = "low", "Unlikely"
    MODERATE = "moderate", "Possible"
    HIGH = "high", "Likely"


class Imminence(models.TextChoices):
    DAYS = "days", "Within days"
    WEEKS = "weeks", "Within weeks"
    MONTHS = "months", "Within months"
    LONGER = "longer", "Longer term"


class RiskScenario(CaseDataModel):
    """What could happen, how likely, how soon, and what the team should do about it."""

    formulation = models.ForeignKey(Formulation, on_delete=models.CASCADE, related_name="scenarios")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    compartment = models.CharField(max_length=16, choices=Compartment.choices, default=Compartment.HEALTH)
    description = EncryptedTextField()
    likelihood = models.CharField(max_length=16, choices=Likelihood.choices)
    imminence = models.CharField(max_length=16, choices=Imminence.choices)
    management = EncryptedTextField(blank=True, help_text="The management recommendations that follow.")
    position = models.PositiveSmallIntegerField(default=0)

    unscoped = CaseScopedQuerySet.as_manager()
    objects = VisibleOnly()
    access_case_path = "case"
    access_compartment_field = "compartment"

    class Meta:
        ordering = ["formulation", "position", "created_at"]


class RiskEventKind(models.TextChoices):
    """Events that call for re-assessment (the timeline will record many of them itself)."""

    BREACH = "breach", "Breach of an order or bail condition"
    NEW_THREAT = "new_threat", "New threat"
    SEPARATION = "separation", "Separation"
    NEW_PARTNER = "new_partner", "New partner (victim or perpetrator)"
    CUSTODY_RELEASE = "custody_release", "Release from custody"
    COURT_DATE = "court_date", "Court date"
    OTHER = "other", "Other significant event"


class RiskEvent(CaseDataModel):
    """A dated event on the case's risk history; recording one asks for a re-assessment."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="risk_events")
    kind = models.CharField(max_length=24, choices=RiskEventKind.choices)
    occurred_on = models.DateField()
    compartment = models.CharField(max_length=16, choices=Compartment.choices, default=Compartment.TEAM)
    details = EncryptedTextField(blank=True)

    unscoped = CaseScopedQuerySet.as_manager()
    objects = VisibleOnly()
    access_case_path = "case"
    access_compartment_field = "compartment"

    class Meta:
        ordering = ["-occurred_on", "-created_at"]


class CurrentRiskRule(models.TextChoices):
    LATEST = "latest", "The latest completed assessment or formulation"
    HIGHER_OF_LATEST = "higher_of_latest", "The higher of the latest screening and the latest formulation"


class RiskSettings(TimeStampedModel):
    """How a unit derives a case's current risk and how soon events call for re-assessment."""

    DEFAULTS = {"current_risk_rule": CurrentRiskRule.LATEST, "reassess_after_event_working_days": 2}

    unit = models.OneToOneField("accounts.Unit", on_delete=models.CASCADE, related_name="risk_settings")
    current_risk_rule = models.CharField(
        max_length=24, choices=CurrentRiskRule.choices, default=DEFAULTS["current_risk_rule"]
    )
    reassess_after_event_working_days = models.PositiveSmallIntegerField(
        default=DEFAULTS["reassess_after_event_working_days"]
    )

    class Meta:
        verbose_name_plural = "risk settings"
