"""What the reporting app keeps (issue 9): export keys, the record of every evaluation export
(a disclosure), and the precomputed figures the cross-unit comparison reads.

Nothing here holds case data: an export record says who took what, why and for whom, not the
rows; the figures are aggregates of one unit over one period.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from masip.core.fields import EncryptedTextField


class ExportKey(models.Model):
    """The secret behind an evaluation's pseudonyms. Exports made with the same key give every
    case the same pseudonym (so a study can join its quarterly extracts); another key gives
    pseudonyms that cannot be linked to the first. The secret never leaves masip."""

    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="export_keys")
    name = models.CharField(max_length=120, help_text="What the key is for, e.g. the evaluation it serves.")
    secret = EncryptedTextField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit", "name"], name="export_key_name_unique_in_unit")]
        ordering = ["unit", "name"]

    def __str__(self) -> str:
        return self.name


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    PARQUET = "parquet", "Parquet"


class EvaluationExport(models.Model):
    """One evaluation export, recorded as a disclosure: who took it, for whom, why, of which
    unit and period, in which form, and the digest of the file handed over."""

    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="evaluation_exports")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    recipient = models.CharField(max_length=200)
    purpose = models.TextField()
    start = models.DateField()
    end = models.DateField()
    file_format = models.CharField(max_length=16, choices=ExportFormat.choices)
    identified = models.BooleanField(default=False, help_text="Case references instead of pseudonyms.")
    key = models.ForeignKey(ExportKey, null=True, blank=True, on_delete=models.PROTECT, related_name="exports")
    rows = models.PositiveIntegerField(default=0)
    file_name = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end__gte=models.F("start")), name="evaluation_export_period"),
            models.CheckConstraint(
                condition=models.Q(identified=True) | models.Q(key__isnull=False),
                name="evaluation_export_pseudonymised_has_key",
            ),
        ]

    def __str__(self) -> str:
        return self.file_name


class UnitFigures(models.Model):
    """The comparison's figures of one unit over one period, as computed at `computed_at` by
    `reports.comparison` (version = the shape of `figures`; a new version recomputes)."""

    unit = models.ForeignKey("accounts.Unit", on_delete=models.CASCADE, related_name="+")
    start = models.DateField()
    end = models.DateField()
    version = models.PositiveSmallIntegerField()
    computed_at = models.DateTimeField()
    figures = models.JSONField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit", "start", "end"], name="unit_figures_unique")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.start}..{self.end}"


class DashboardFigures(models.Model):
    """The unit dashboard's figures of one unit over one period, as counted at `computed_at`
    (`reports.selectors.stored_dashboard`; version = the shape of `figures`)."""

    unit = models.ForeignKey("accounts.Unit", on_delete=models.CASCADE, related_name="+")
    start = models.DateField()
    end = models.DateField()
    version = models.PositiveSmallIntegerField()
    computed_at = models.DateTimeField()
    figures = models.JSONField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit", "start", "end"], name="dashboard_figures_unique")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.start}..{self.end}"
