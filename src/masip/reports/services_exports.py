"""Export keys and evaluation exports (issue 9): who may make them, and the record each leaves.

A unit manager creates and retires the unit's export keys (the secret is 32 random bytes, kept
encrypted and never shown). Anyone who reads the unit's aggregates may take a pseudonymised
export with an active key; an identified export (case references instead of pseudonyms) only
those who may export the unit's case data. Every export is a disclosure: in one transaction the
EvaluationExport record (with the SHA-256 of the ZIP) and the audit event with its purpose and
recipient are written; a refusal writes nothing.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from masip.access.policy import Action, Capability, Compartment
from masip.access.principal import principal_for
from masip.accounts.models import Unit
from masip.audit.models import AuditAction
from masip.audit.services import audit_record
from masip.reports import exports
from masip.reports.models import EvaluationExport, ExportFormat, ExportKey
from masip.reports.period import Period

IDENTIFIED_REFUSED = (
    "You can only receive pseudonymised data: analysts never see case references or identities. "
    "Untick “case references instead of pseudonyms”, or ask the unit manager if the evaluation "
    "truly needs identified data."
)
KEYS_REFUSED = "Only the unit manager can create or retire export keys. Ask them if a new key is needed."


class ExportRefused(PermissionDenied):
    """The user may not take this export; the message says why and what to do. Nothing was written."""


def may_manage_keys(user: Any, unit: Unit) -> bool:
    return principal_for(user).can(Capability.OVERSEE_UNIT_CASELOAD, unit.pk)


def may_export(user: Any, unit: Unit) -> bool:
    return principal_for(user).can(Capability.VIEW_AGGREGATES, unit.pk)


def may_identify(user: Any, unit: Unit) -> bool:
    """Case references instead of pseudonyms: those who may export the unit's case data."""
    return may_export(user, unit) and principal_for(user).may(unit.pk, Compartment.TEAM, Action.EXPORT)


def export_key_create(*, actor: Any, unit: Unit, name: str, request: HttpRequest | None = None) -> ExportKey:
    """A new key of the unit with a fresh secret; audited with its name (never the secret).
    ValidationError when the unit already has a key of that name."""
    if not may_manage_keys(actor, unit):
        raise ExportRefused(KEYS_REFUSED)
    name = name.strip()
    try:
        with transaction.atomic():
            key = ExportKey.objects.create(unit=unit, name=name, secret=secrets.token_urlsafe(32), created_by=actor)
            audit_record(
                action=AuditAction.CREATE,
                actor=actor,
                request=request,
                unit=unit,
                obj=key,
                object_type="reports.export_key",
                fields=["name", "secret"],
                detail={"event": "export_key_created", "name": name},
            )
    except IntegrityError:
        raise ValidationError(
            f"The unit already has a key called “{name}”. Choose another name.", code="duplicate"
        ) from None
    return key


def export_key_retire(*, actor: Any, key: ExportKey, request: HttpRequest | None = None) -> ExportKey:
    """The key can no longer be used for new exports (past ones keep their record); audited."""
    if not may_manage_keys(actor, key.unit):
        raise ExportRefused(KEYS_REFUSED)
    with transaction.atomic():
        key = ExportKey.objects.select_for_update().get(pk=key.pk)
        if key.retired_at is None:
            key.retired_at = timezone.now()
            key.save(update_fields=["retired_at"])
            audit_record(
                action=AuditAction.CHANGE,
                actor=actor,
                request=request,
                unit=key.unit,
                obj=key,
                object_type="reports.export_key",
                fields=["retired_at"],
                detail={"event": "export_key_retired", "name": key.name},
            )
    return key


@dataclass(frozen=True)
class ExportFile:
    record: EvaluationExport
    content: bytes

    @property
    def file_name(self) -> str:
        return self.record.file_name


def evaluation_export(
    *,
    actor: Any,
    unit: Unit,
    period: Period,
    file_format: str,
    key: ExportKey | None,
    identified: bool,
    purpose: str,
    recipient: str,
    request: HttpRequest | None = None,
) -> ExportFile:
    """Build the unit's evaluation export over the period and record it as a disclosure.

    ExportRefused (nothing written) when the actor may not read the unit's aggregates, asks for
    an identified export without the right to export case data, or gives no active key of the
    unit for a pseudonymised one.
    """
    if not may_export(actor, unit):
        raise ExportRefused("You cannot take exports of this unit.")
    if identified and not may_identify(actor, unit):
        raise ExportRefused(IDENTIFIED_REFUSED)
    if not identified and (key is None or key.unit_id != unit.pk or key.retired_at is not None):
        raise ExportRefused("Choose one of the unit's active export keys.")
    if file_format not in ExportFormat.values:
        raise ExportRefused("Choose CSV or Parquet.")
    purpose, recipient = purpose.strip(), recipient.strip()
    generated_at = timezone.now()
    with transaction.atomic():
        rows = exports.case_rows(unit_id=unit.pk, period=period, secret=None if identified else key.secret)  # type: ignore[union-attr]
        facts = exports.ExportFacts(
            unit_name=unit.name,
            period=period,
            purpose=purpose,
            recipient=recipient,
            key_name="" if identified or key is None else key.name,
            generated_at=generated_at,
            rows=len(rows),
            file_format=file_format,
            identified=identified,
        )
        content = exports.export_zip(rows, facts)
        sha256 = hashlib.sha256(content).hexdigest()
        kind = "identified" if identified else "pseudonymised"
        file_name = (
            f"masip-evaluation-{unit.code}-{period.start:%Y%m%d}-{period.end:%Y%m%d}-{kind}-"
            f"{timezone.localtime(generated_at):%Y%m%d%H%M%S}.zip"
        )
        record = EvaluationExport.objects.create(
            unit=unit,
            requested_by=actor,
            recipient=recipient,
            purpose=purpose,
            start=period.start,
            end=period.end,
            file_format=file_format,
            identified=identified,
            key=key,
            rows=len(rows),
            file_name=file_name,
            sha256=sha256,
        )
        audit_record(
            action=AuditAction.DISCLOSE,
            actor=actor,
            request=request,
            unit=unit,
            obj=record,
            object_type="reports.evaluation_export",
            fields=list(exports.COLUMN_NAMES),
            justification=purpose,
            detail={
                "event": "evaluation_export",
                "purpose": purpose,
                "recipient": recipient,
                "start": period.start.isoformat(),
                "end": period.end.isoformat(),
                "format": file_format,
                "identified": identified,
                "key": key.name if key is not None else "",
                "rows": len(rows),
                "sha256": sha256,
                # Which cases the file holds (their ids, never in the file), so that the
                # disclosures of a case can be found from the case.
                "listed": [
                    str(pk)
                    for pk in exports.cases_exported(unit_id=unit.pk, period=period).values_list("pk", flat=True)
                ],
            },
        )
    return ExportFile(record=record, content=content)
