"""Victim safety and support: a versioned safety plan per victim, safe contact preferences, the
advocate's (ISAC) support log and the measures victims report for evaluation."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from masip.access.managers import CaseScopedQuerySet, VisibleOnly
from masip.access.policy import Compartment
from masip.core.fields import EncryptedTextField
from masip.core.models import CaseDataModel

__all__ = [
    "AdvocacyContact",
    "MeasureOccasion",
    "NeedsAssessment",
    "SafeChannel",
    "SafeContactPreference",
    "SafetyActionKind",
    "SafetyActionStatus",
    "SafetyPlan",
    "SafetyPlanAction",
    "SafetyPlanVersion",
    "SupportNeed",
    "SupportReferral",
    "SupportReferralKind",
    "VictimMeasure",
]


class SafetyActionKind(models.TextChoices):
    HOME_SECURITY = "home_security", "Home security"
    ALARM = "alarm", "Alarm or personal safety device"
    PHONE_ONLINE = "phone_online", "Phone and online safety"
    SAFE_ROUTES = "safe_routes", "Safe routes"
    LIAISON = "liaison", "Workplace or school liaison"
    REHOUSING = "rehousing", "Rehousing"
    CHILDREN = "children", "Children"
    OTHER = "other", "Other"


class SafetyActionStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    NOT_NEEDED = "not_needed", "Not needed"


class SafeChannel(models.TextChoices):
    PHONE = "phone", "Phone call"
    TEXT = "text", "Text message"
    EMAIL = "email", "Email"
    LETTER = "letter", "Letter"
    IN_PERSON = "in_person", "In person"
    ADVOCATE = "advocate", "Through the advocate"


class SafetyPlan(CaseDataModel):
    """The head of one victim's safety plan: `version` is the number of its current
    SafetyPlanVersion, so a revision made from an older one is refused."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="safety_plans")
    participant = models.OneToOneField("cases.CaseParticipant", on_delete=models.PROTECT, related_name="safety_plan")

    unscoped = CaseScopedQuerySet.as_manager()
    objects = VisibleOnly()
    access_case_path = "case"


class SafetyPlanVersion(CaseDataModel):
    """One saved revision of a safety plan, never changed afterwards: numbered 1, 2, 3..."""

    plan = models.ForeignKey(SafetyPlan, on_delete=models.PROTECT, related_name="versions")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    number = models.PositiveIntegerField()
    risks = EncryptedTextField("risks addressed")
    review_on = models.DateField("review date")

    unscoped = CaseScopedQuerySet.as_manager()
    objects = VisibleOnly()
    access_case_path = "case"

    class Meta:
        ordering = ["plan", "-number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="safety_plan_version_unique")]

    def __str__(self) -> str:
        return f"Safety plan version {self.number}"


class SafetyPlanAction(CaseDataModel):
    """One action of one plan version (a row of the snapshot; never changed afterwards)."""

    plan_version = models.ForeignKey(SafetyPlanVersion, on_delete=models.PROTECT, related_name="actions")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=16, choices=SafetyActionKind.choices)
    description = EncryptedTextField()
    owner = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField("due date")
    status = models.CharField(max_length=12, choices=SafetyActionStatus.choices, default=SafetyActionStatus.OPEN)

    unscoped = CaseScopedQuerySet.as_manager()
    objects = VisibleOnly()
    access_case_path = "plan_version__case"

    class Meta:
        ordering = ["plan_version", "position"]


class SafeContactPreference(CaseDataModel):
    """How the unit may safely contact one victim. The channels, times and the voicemail rule are
    for the whole case team; the safe word and the trusted third party are victim contact details
    (Compartment.VICTIM_CONTACT) and are not loaded for anyone else."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    participant = models.OneToOneField("cases.CaseParticipant", on_delete=models.PROTECT, related_name="safe_contact")
    safe_channels = models.JSONField(default=list, help_text="SafeChannel codes")
    safe_times = EncryptedTextField(blank=True)
    no_voicemail = models.BooleanField("do not leave voicemail", default=False)
    safe_word = EncryptedTextField(blank=True)
    trusted_third_party = EncryptedTextField(blank=True)

    unscoped = CaseScopedQuerySet.as_manager()
    objects = VisibleOnly()
    access_case_path = "case"

    RESTRICTED_FIELDS = ("safe_word", "trusted_third_party")

    def safe_channel_labels(self) -> list[str]:
        return [str(SafeChannel(code).label) for code in self.safe_channels]


# Advocacy (ISAC) support log: the advocacy compartment only ------------------------------------


class _AdvocacyRecord(CaseDataModel):
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    participant = models.ForeignKey("cases.CaseParticipant", on_delete=models.PROTECT, related_name="+")
    compartment = models.CharField(
        max_length=16, choices=Compartment.choices, default=Compartment.ADVOCACY, editable=False
    )

    access_case_path = "case"
    access_compartment_field = "compartment"

    class Meta:
        abstract = True


class AdvocacyContact(_AdvocacyRecord):
    contact_on = models.DateField("date")
    channel = models.CharField(max_length=12, choices=SafeChannel.choices)
    summary = EncryptedTextField()

    # Declared on each model: VisibleOnly binds to the class it is declared on.
    unscoped = CaseScopedQuerySet.as_manager()
    objects = VisibleOnly()

    class Meta:
        ordering = ["-contact_on", "-created_at"]


class SupportNeed(models.TextChoices):
    SAFETY = "safety", "Safety and security"
    HOUSING = "housing", "Housing"
    EMOTIONAL = "emotional", "Emotional wellbeing"
    HEALTH = "health", "Physical or mental health"
    JUSTICE = "justice", "Criminal justice process"
    LEGAL = "legal", "Civil legal help"
    FINANCE = "finance", "Money and benefits"
    WORK = "work", "Work or education"
    CHILDREN = "children", "Children and family"
    ONLINE = "online", "Online and technology safety"


class NeedsAssessment(_AdvocacyRecord):
    assessed_on = models.DateField("date assessed")
    needs = models.JSONField(default=list, help_text="SupportNeed codes")
    notes = EncryptedTextField(blank=True)

    # Declared on each model: VisibleOnly binds to the class it is declared on.
    unscoped = CaseScopedQuerySet.as_manager()
    objects = VisibleOnly()

    class Meta:
        ordering = ["-assessed_on", "-created_at"]

    def need_labels(self) -> list[str]:
        return [str(SupportNeed(code).label) for code in self.needs]


class SupportReferralKind(models.TextChoices):
    HOUSING = "housing", "Housing"
    COUNSELLING = "counselling", "Counselling"
    LEGAL = "legal", "Legal"
    OTHER = "other", "Other"


class SupportReferral(_AdvocacyRecord):
    kind = models.CharField(max_length=12, choices=SupportReferralKind.choices)
    to_whom = EncryptedTextField("referred to")
    referred_on = models.DateField("date referred")
    outcome = EncryptedTextField(blank=True)

    # Declared on each model: VisibleOnly binds to the class it is declared on.
    unscoped = CaseScopedQuerySet.as_manager()
    objects = VisibleOnly()

    class Meta:
        ordering = ["-referred_on", "-created_at"]


# Victim-reported measures, for evaluation ------------------------------------------------------


class MeasureOccasion(models.TextChoices):
    INTAKE = "intake", "Intake"
    REVIEW = "review", "Review"
    CLOSURE = "closure", "Closure"


SCALE = [MinValueValidator(0), MaxValueValidator(10)]


class VictimMeasure(CaseDataModel):
    """What the victim said, on scales of 0 to 10, at intake, a review or closure."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    participant = models.ForeignKey("cases.CaseParticipant", on_delete=models.PROTECT, related_name="+")
    occasion = models.CharField(max_length=8, choices=MeasureOccasion.choices)
    measured_on = models.DateField("date")
    safety = models.PositiveSmallIntegerField("feeling of safety", validators=SCALE)
    wellbeing = models.PositiveSmallIntegerField(validators=SCALE)
    daily_impact = models.PositiveSmallIntegerField("impact on daily life", validators=SCALE)

    unscoped = CaseScopedQuerySet.as_manager()
    objects = VisibleOnly()
    access_case_path = "case"

    class Meta:
        ordering = ["measured_on", "created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(safety__lte=10, wellbeing__lte=10, daily_impact__lte=10),
                name="victim_measure_scale_0_10",
            )
        ]
