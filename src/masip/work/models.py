"""Tasks on a case and the per-unit rules that create them (reviews set by risk, first contact)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from masip.access.managers import CaseScopedQuerySet, VisibleOnly
from masip.core.fields import EncryptedTextField
from masip.core.models import CaseDataModel, TimeStampedModel


class TaskStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class TaskKind(models.TextChoices):
    MANUAL = "manual", "Task"
    REVIEW = "review", "Case review"
    FIRST_CONTACT = "first_contact", "First contact with the victim"
    ORDER_EXPIRY = "order_expiry", "Order expiry"
    REASSESSMENT = "reassessment", "Re-assess risk"
    PANEL_ACTION = "panel_action", "Panel action"


class Task(CaseDataModel):
    """Something one member of the case team has to do by a date.

    Rule-made tasks say which rule made them (`rule`, e.g. `review:high`); a review task also
    keeps the day its review period started, so a change of risk level can recompute its due date.
    """

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(max_length=200)
    description = EncryptedTextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="work_tasks", null=True, blank=True
    )
    due_date = models.DateField()
    status = models.CharField(max_length=16, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    kind = models.CharField(max_length=16, choices=TaskKind.choices, default=TaskKind.MANUAL)
    rule = models.CharField(max_length=40, blank=True, help_text="The rule that made the task; empty if by hand.")
    period_start = models.DateField(
        null=True,
        blank=True,
        help_text="Review tasks: the day the period started. Re-assessments: the day counted from.",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    unscoped = CaseScopedQuerySet.as_manager()
    objects = VisibleOnly()
    access_case_path = "case"

    class Meta:
        ordering = ["due_date", "created_at"]
        indexes = [
            models.Index(fields=["owner", "status", "due_date"], name="task_owner_status_due"),
            models.Index(fields=["case", "status"], name="task_case_status"),
        ]
        constraints = [
            # The rules service keeps one open review per case; the database makes it certain.
            models.UniqueConstraint(
                fields=["case"], condition=Q(kind="review", status="open"), name="task_one_open_review"
            ),
            models.UniqueConstraint(fields=["case"], condition=Q(kind="first_contact"), name="task_one_first_contact"),
            models.UniqueConstraint(
                fields=["case"], condition=Q(kind="reassessment", status="open"), name="task_one_open_reassessment"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status == TaskStatus.OPEN


class WorkRules(TimeStampedModel):
    """A unit's task rules: how often a case is reviewed at each risk level, how soon the
    victim is first contacted after a referral is accepted, and how long after its last risk
    assessment a case is re-assessed at each level."""

    DEFAULTS = {
        "high_review_days": 7,
        "moderate_review_days": 30,
        "low_review_days": 91,
        "not_assessed_review_working_days": 10,
        "first_contact_working_days": 2,
        "reassess_high_days": 28,
        "reassess_moderate_days": 90,
        "reassess_low_days": 180,
    }

    unit = models.OneToOneField("accounts.Unit", on_delete=models.CASCADE, related_name="work_rules")
    high_review_days = models.PositiveSmallIntegerField(default=DEFAULTS["high_review_days"])
    moderate_review_days = models.PositiveSmallIntegerField(default=DEFAULTS["moderate_review_days"])
    low_review_days = models.PositiveSmallIntegerField(default=DEFAULTS["low_review_days"])
    not_assessed_review_working_days = models.PositiveSmallIntegerField(
        default=DEFAULTS["not_assessed_review_working_days"]
    )
    first_contact_working_days = models.PositiveSmallIntegerField(default=DEFAULTS["first_contact_working_days"])
    reassess_high_days = models.PositiveSmallIntegerField(default=DEFAULTS["reassess_high_days"])
    reassess_moderate_days = models.PositiveSmallIntegerField(default=DEFAULTS["reassess_moderate_days"])
    reassess_low_days = models.PositiveSmallIntegerField(default=DEFAULTS["reassess_low_days"])

    class Meta:
        verbose_name_plural = "work rules"

    def __str__(self) -> str:
        return f"Work rules for {self.unit}"
