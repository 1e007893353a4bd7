"""What the export pages list: the unit's export keys and its past evaluation exports (who, when,
for whom, why, which period and form, how many rows, the digest). Records of disclosures, not
case data: the caller has checked that the user reads the unit's aggregates."""

from __future__ import annotations

from django.db.models import QuerySet

from masip.accounts.models import Unit
from masip.reports.models import EvaluationExport, ExportKey


def export_keys_of(*, unit: Unit) -> QuerySet[ExportKey]:
    """Every key of the unit, active ones first, then by name (the secret is never displayed)."""
    return (
        ExportKey.objects.filter(unit=unit).select_related("created_by").defer("secret").order_by("retired_at", "name")
    )


def active_keys_of(*, unit: Unit) -> QuerySet[ExportKey]:
    return ExportKey.objects.filter(unit=unit, retired_at__isnull=True).order_by("name")


def exports_of(*, unit: Unit) -> QuerySet[EvaluationExport]:
    """The unit's evaluation exports, newest first."""
    return (
        EvaluationExport.objects.filter(unit=unit)
        .select_related("requested_by", "key")
        .defer("key__secret")
        .order_by("-created_at", "-pk")
    )
