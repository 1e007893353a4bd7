"""Writes to red-flag alerts. An alert is never deleted: it is acknowledged, with a note saying
what was done about it, and stays on the case's list."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from masip.access.policy import Action
from masip.access.principal import principal_for
from masip.audit.models import AuditAction
from masip.audit.services import audit_record
from masip.core.models import StaleEditError, save_versioned
from masip.timeline.models import AlertStatus, RedFlagAlert

NOTE_MAX_LENGTH = 5_000


def alert_may_acknowledge(*, user: Any, alert: RedFlagAlert) -> bool:
    """The case team and the unit's managers, who may change data in the alert's compartment."""
    from masip.work.services import task_may_work_on

    return task_may_work_on(user=user, case=alert.case) and principal_for(user).may(
        alert.case.unit_id, alert.compartment, Action.CHANGE
    )


def alert_acknowledge(
    *, actor: Any, alert: RedFlagAlert, expected_version: int, note: str, request: HttpRequest | None = None
) -> RedFlagAlert:
    """Acknowledge an open alert with a note of what was done or decided.

    Guarantees: the actor may acknowledge it (PermissionDenied); the note is given and fits
    (ValidationError on `note`); an alert already acknowledged is refused, and a stale
    `expected_version` raises StaleEditError, with nothing written. Who, when and the note are
    stored, the alert stays listed, and the change is audited (field names only).
    """
    if not alert_may_acknowledge(user=actor, alert=alert):
        raise PermissionDenied("Only the case team and the unit's managers can acknowledge this case's red flags.")
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": "Write what was done or decided about this red flag."})
    if len(note) > NOTE_MAX_LENGTH:
        raise ValidationError({"note": f"The note can be at most {NOTE_MAX_LENGTH:,} characters."})
    if alert.status != AlertStatus.OPEN:
        raise ValidationError("This red flag has already been acknowledged. Nothing was changed.")
    with transaction.atomic():
        alert.status = AlertStatus.ACKNOWLEDGED
        alert.acknowledged_by = actor
        alert.acknowledged_at = timezone.now()
        alert.acknowledgement = note
        fields = ["status", "acknowledged_by", "acknowledged_at", "acknowledgement"]
        save_versioned(alert, expected_version=expected_version, fields=fields)
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            request=request,
            unit=alert.case.unit,
            obj=alert,
            case_id=alert.case_id,
            fields=fields,
            detail={"version": alert.version},
        )
    return alert


__all__ = ["StaleEditError", "alert_acknowledge", "alert_may_acknowledge"]
