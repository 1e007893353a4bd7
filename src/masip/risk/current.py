"""A case's current risk: derived from its completed assessments and formulations, never typed in.

The unit chooses the rule (RiskSettings.current_risk_rule):

* LATEST: the level of the latest completed assessment or formulation, by the day it describes
  (a formulation's level is its risk state);
* HIGHER_OF_LATEST: the higher of the latest completed screening assessment and the latest
  completed formulation, so a fresh low screen never hides a clinician's high risk state.

Either way the case also keeps the day risk was last assessed (`Case.risk_assessed_on`).
The level is shown to the whole case team, so these reads cross compartments on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest

from masip.access.policy import Capability
from masip.access.principal import principal_for
from masip.accounts.models import Unit
from masip.audit.models import AuditAction
from masip.audit.services import audit_record
from masip.cases.models import Case, RiskLevel
from masip.core.unit_settings import unit_settings_save
from masip.risk.definition import level_rank
from masip.risk.models import Assessment, AssessmentStatus, CurrentRiskRule, Formulation, RiskSettings

REASSESS_AFTER_EVENT_RANGE = (1, 30)


@dataclass(frozen=True)
class UnitRiskSettings:
    current_risk_rule: str
    reassess_after_event_working_days: int
    is_default: bool


def risk_settings_for(*, unit_id: int) -> UnitRiskSettings:
    """The unit's risk settings, or masip's defaults when it has set none."""
    row = RiskSettings.objects.filter(unit_id=unit_id).first()
    if row is None:
        return UnitRiskSettings(**RiskSettings.DEFAULTS, is_default=True)  # type: ignore[arg-type]
    return UnitRiskSettings(row.current_risk_rule, row.reassess_after_event_working_days, is_default=False)


def risk_settings_set(
    *, actor: Any, unit: Unit, current_risk_rule: str, reassess_after_event_working_days: int, request: Any = None
) -> RiskSettings:
    """Set how the unit derives a case's current risk and how soon an event calls for re-assessment.

    Guarantees: only someone who oversees the unit's caseload may (PermissionDenied); the rule
    is one masip knows and the days are 1 to 30 working days (ValidationError by field, nothing
    written). Saved and audited together. Cases take the new rule when their risk is next
    refreshed (an assessment or formulation completed).
    """
    if not principal_for(actor).can(Capability.OVERSEE_UNIT_CASELOAD, unit_id=unit.pk):
        raise PermissionDenied("Only the unit's manager can change its risk settings.")
    errors = {}
    if current_risk_rule not in CurrentRiskRule.values:
        errors["current_risk_rule"] = "Choose how the case's current risk is worked out."
    low, high = REASSESS_AFTER_EVENT_RANGE
    days = reassess_after_event_working_days
    if isinstance(days, bool) or not isinstance(days, int) or not low <= days <= high:
        errors["reassess_after_event_working_days"] = f"Enter a number of working days from {low} to {high}."
    if errors:
        raise ValidationError(errors)
    return unit_settings_save(
        RiskSettings,
        actor=actor,
        unit=unit,
        values={"current_risk_rule": current_risk_rule, "reassess_after_event_working_days": days},  # type: ignore[dict-item]
        event="risk settings set",
        request=request,
    )


@dataclass(frozen=True)
class CurrentRisk:
    level: str  # a RiskLevel value
    assessed_on: date | None


def _later(a: tuple[str, date, datetime | None], b: tuple[str, date, datetime | None]) -> str:
    """The level of the later of two (level, day, completed at): by day, then by completion."""
    if a[1] != b[1]:
        return a[0] if a[1] > b[1] else b[0]
    if a[2] is None or b[2] is None:
        return a[0] if b[2] is None else b[0]
    return a[0] if a[2] >= b[2] else b[0]


def current_risk_for(case: Case, rule: str | None = None) -> CurrentRisk:
    """The case's current risk by its unit's rule (or `rule`), and the day risk was last assessed.
    Two queries (three when the unit's rule is read)."""
    if rule is None:
        rule = risk_settings_for(unit_id=case.unit_id).current_risk_rule
    assessment = (
        Assessment.unscoped.filter(case=case, status=AssessmentStatus.COMPLETED)
        .exclude(level="")
        .order_by("-assessed_on", "-completed_at")
        .values_list("level", "assessed_on", "completed_at")
        .first()
    )
    formulation = (
        Formulation.unscoped.filter(case=case, status=AssessmentStatus.COMPLETED)
        .exclude(risk_state="")
        .order_by("-assessed_on", "-completed_at")
        .values_list("risk_state", "assessed_on", "completed_at")
        .first()
    )
    found = [row for row in (assessment, formulation) if row is not None]
    if not found:
        return CurrentRisk(RiskLevel.NOT_ASSESSED, None)
    assessed_on = max(row[1] for row in found)
    if rule == CurrentRiskRule.HIGHER_OF_LATEST:
        level = max((row[0] for row in found), key=level_rank)
    else:
        level = found[0][0] if len(found) == 1 else _later(found[0], found[1])
    return CurrentRisk(level, assessed_on)


def current_risk_level(case: Case) -> str:
    """The case's current risk level by its unit's rule, or 'not assessed'."""
    return current_risk_for(case).level


def case_risk_refresh(*, case: Case, actor: Any = None, request: HttpRequest | None = None) -> bool:
    """Set the case's risk level and the day it was last assessed from its completed assessments
    and formulations (by the unit's rule). When either changes, audit the change. Either way
    bring the review and re-assessment tasks in line (an assessment completed now answers a risk
    event of its day). Returns whether the risk level changed. Runs in the caller's transaction
    (an assessment's or formulation's completion)."""
    from masip.work.services import RuleReason, work_rules_apply

    with transaction.atomic():
        locked = Case.unscoped.select_for_update().get(pk=case.pk)
        current = current_risk_for(locked)
        changed = [
            name
            for name, value in (("risk_level", current.level), ("risk_assessed_on", current.assessed_on))
            if getattr(locked, name) != value
        ]
        if not changed:
            # Nothing moved, but an assessment was completed: it may answer a risk event.
            work_rules_apply(case=case, reason=RuleReason.RISK_ASSESSED, actor=actor, request=request)
            return False
        before = locked.risk_level
        Case.unscoped.filter(pk=locked.pk).update(risk_level=current.level, risk_assessed_on=current.assessed_on)
        case.risk_level, case.risk_assessed_on = current.level, current.assessed_on
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            request=request,
            unit=locked.unit,
            obj=locked,
            fields=changed,
            detail={"from": before, "to": current.level},
        )
        level_changed = "risk_level" in changed
        reason = RuleReason.RISK_CHANGED if level_changed else RuleReason.RISK_ASSESSED
        work_rules_apply(case=case, reason=reason, actor=actor, request=request)
    return level_changed
