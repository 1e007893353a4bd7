"""A case's current risk: derived from its completed assessments and formulations, never typed in."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest

from masip.audit.models import AuditAction
from masip.audit.services import audit_record
from masip.cases.models import Case, RiskLevel
from masip.risk.models import Assessment, AssessmentStatus


def current_risk_level(case: Case) -> str:
    """The level of the case's latest completed assessment (by the day it describes), or
    'not assessed'. Reads every compartment: the level itself is shown to the whole team."""
    latest = (
        Assessment.unscoped.filter(case=case, status=AssessmentStatus.COMPLETED)
        .exclude(level="")
        .order_by("-assessed_on", "-completed_at")
        .values_list("level", flat=True)
        .first()
    )
    return latest or RiskLevel.NOT_ASSESSED


def case_risk_refresh(*, case: Case, actor: Any = None, request: HttpRequest | None = None) -> bool:
    """Set the case's risk level from its assessments; when it changes, audit the change and
    bring the review tasks in line with the new level. Returns whether it changed. Runs in the
    caller's transaction (an assessment's completion)."""
    from masip.work.services import RuleReason, work_rules_apply

    with transaction.atomic():
        locked = Case.unscoped.select_for_update().get(pk=case.pk)
        level = current_risk_level(locked)
        if level == locked.risk_level:
            return False
        before = locked.risk_level
        Case.unscoped.filter(pk=locked.pk).update(risk_level=level)
        case.risk_level = level
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            request=request,
            unit=locked.unit,
            obj=locked,
            fields=["risk_level"],
            detail={"from": before, "to": level},
        )
        work_rules_apply(case=case, reason=RuleReason.RISK_CHANGED, actor=actor, request=request)
    return True
