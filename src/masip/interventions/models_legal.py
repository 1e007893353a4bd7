"""Models of the interventions app: legal actions (the criminal-justice record, police only),
the orders register (the case team), and the investigation checklist (police only)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from masip.access.managers import CaseScopedQuerySet, VisibleOnly
from masip.access.policy import Compartment
from masip.core.fields import EncryptedTextField
from masip.core.models import CaseDataModel, TimeStampedModel

__all__ = [
    "BailAuthority",
    "ChargeDecision",
    "ChecklistTick",
    "ChecklistVersion",
    "CourtDate",
    "JusticeRecord",
    "Offence",
    "Order",
    "OrderKind",
    "OrderStatus",
]


class Offence(models.TextChoices):
    S2 = "s2", "Harassment (Protection from Harassment Act 1997 s2)"
    S2A = "s2a", "Stalking (s2A)"
    S4 = "s4", "Harassment: fear of violence (s4)"
    S4A = "s4a", "Stalking: fear of violence or serious alarm or distress (s4A)"
    OTHER = "other", "Other offence"


class BailAuthority(models.TextChoices):
    NONE = "", "None (the first 3 months)"
    INSPECTOR = "inspector", "Inspector (up to 6 months)"
    SUPERINTENDENT = "superintendent", "Superintendent (up to 9 months)"
    COURT = "court", "Magistrates' court (beyond 9 months)"


class ChargeDecision(models.TextChoices):
    CHARGED = "charged", "Charged"
    NFA = "nfa", "No further action"
    OTHER = "other", "Other outcome (caution, community resolution...)"


class JusticeRecord(CaseDataModel):
    """The criminal-justice side of one case: offences, arrest, bail, charge, outcome. Police only."""

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="justice_record")
    compartment = models.CharField(max_length=16, choices=Compartment.choices, default=Compartment.POLICE)
    offences_considered = models.JSONField(default=list, blank=True)
    offences_charged = models.JSONField(default=list, blank=True)
    other_offence = EncryptedTextField(blank=True, help_text="The other offence, when “Other” is chosen.")
    arrested_at = models.DateTimeField(null=True, blank=True)
    bail_started_on = models.DateField(null=True, blank=True)
    bail_conditions = EncryptedTextField(blank=True)
    bail_until = models.DateField(null=True, blank=True, help_text="The current limit of pre-charge bail.")
    bail_authority = models.CharField(max_length=16, choices=BailAuthority.choices, blank=True)
    bail_authorised_by = models.CharField(max_length=200, blank=True)
    released_under_investigation_on = models.DateField(null=True, blank=True)
    charge_decision = models.CharField(max_length=8, choices=ChargeDecision.choices, blank=True)
    charge_decided_on = models.DateField(null=True, blank=True)
    outcome = EncryptedTextField(blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)

    unscoped = CaseScopedQuerySet.as_manager()
    objects = VisibleOnly()
    access_case_path = "case"
    access_compartment_field = "compartment"

    def __str__(self) -> str:
        return "Criminal justice record"

    def offence_labels(self, codes: list[str]) -> list[str]:
        labels = dict(Offence.choices)
        return [f"Other: {self.other_offence}" if code == Offence.OTHER else labels.get(code, code) for code in codes]


class CourtDate(CaseDataModel):
    record = models.ForeignKey(JusticeRecord, on_delete=models.CASCADE, related_name="court_dates")
    compartment = models.CharField(max_length=16, choices=Compartment.choices, default=Compartment.POLICE)
    occurs_at = models.DateTimeField()
    hearing = models.CharField(max_length=200, help_text="What the hearing is, e.g. first appearance, trial.")

    unscoped = CaseScopedQuerySet.as_manager()
    objects = VisibleOnly()
    access_case_path = "record__case"
    access_compartment_field = "compartment"

    class Meta:
        ordering = ["occurs_at"]

    def __str__(self) -> str:
        return self.hearing


class OrderKind(models.TextChoices):
    RESTRAINING_CONVICTION = "ro_conviction", "Restraining order on conviction"
    RESTRAINING_ACQUITTAL = "ro_acquittal", "Restraining order on acquittal"
    SPO = "spo", "Stalking Protection Order"
    INTERIM_SPO = "interim_spo", "Interim Stalking Protection Order"
    DAPN = "dapn", "Domestic Abuse Protection Notice"
    DAPO = "dapo", "Domestic Abuse Protection Order"
    BAIL_CONDITIONS = "bail", "Bail conditions"


class OrderStatus(models.TextChoices):
    APPLIED = "applied", "Applied for"
    GRANTED = "granted", "Granted"
    REFUSED = "refused", "Refused"
    IN_FORCE = "in_force", "In force"
    EXPIRED = "expired", "Expired"
    DISCHARGED = "discharged", "Discharged"


ACTIVE_ORDER_STATUSES = (OrderStatus.GRANTED, OrderStatus.IN_FORCE)


class Order(CaseDataModel):
    """One order or notice protecting the victim, with its conditions and its life."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="orders")
    compartment = models.CharField(max_length=16, choices=Compartment.choices, default=Compartment.TEAM)
    kind = models.CharField(max_length=16, choices=OrderKind.choices)
    status = models.CharField(max_length=12, choices=OrderStatus.choices, default=OrderStatus.APPLIED)
    conditions = EncryptedTextField(blank=True, help_text="The prohibitions, as the order words them.")
    positive_requirements = EncryptedTextField(
        blank=True, help_text="Stalking Protection Orders: what the subject must do."
    )
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    until_further_order = models.BooleanField(default=False)
    notify_by = models.DateField(null=True, blank=True, help_text="The day the subject must notify the police by.")
    notified_on = models.DateField(null=True, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)

    unscoped = CaseScopedQuerySet.as_manager()
    objects = VisibleOnly()
    access_case_path = "case"
    access_compartment_field = "compartment"

    class Meta:
        ordering = ["case", "starts_on", "created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")), name="order_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} from {self.starts_on.day} {self.starts_on:%B %Y}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_ORDER_STATUSES


class ChecklistVersion(TimeStampedModel):
    """A unit's own investigation checklist, as loaded from its file. The latest is in force;
    a unit without one uses masip's own (data/checklist.yaml)."""

    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")
    version = models.CharField(max_length=32)
    items = models.JSONField()
    source_sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["unit", "version"], name="checklist_unit_version")]

    def __str__(self) -> str:
        return f"Checklist {self.version}"


class ChecklistTick(CaseDataModel):
    """Whether one checklist item is done on a case, and who last ticked or unticked it. Police only."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="checklist_ticks")
    compartment = models.CharField(max_length=16, choices=Compartment.choices, default=Compartment.POLICE)
    item_key = models.CharField(max_length=64)
    done = models.BooleanField(default=False)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    changed_at = models.DateTimeField()

    unscoped = CaseScopedQuerySet.as_manager()
    objects = VisibleOnly()
    access_case_path = "case"
    access_compartment_field = "compartment"

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "item_key"], name="checklist_tick_unique")]

    def __str__(self) -> str:
        return self.item_key
