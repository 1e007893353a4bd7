"""A unit's task rules, read and set: review frequency by risk level, the first-contact deadline,
and how long after its last risk assessment a case is re-assessed at each level.

A change applies when the rules next run for a case (a review created or recomputed, a case
opened); tasks already open keep their due dates until then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest

from masip.access.policy import Capability
from masip.access.principal import principal_for
from masip.accounts.models import Unit
from masip.cases.models import RiskLevel
from masip.core.unit_settings import unit_settings_save
from masip.core.workdays import add_working_days, is_working_day
from masip.work.models import WorkRules

# Calendar days for the reviews of assessed cases; working days for the rest.
REVIEW_DAYS_RANGE = (1, 366)
WORKING_DAYS_RANGE = (1, 30)
LABELS = {
    "high_review_days": "High risk review",
    "moderate_review_days": "Moderate risk review",
    "low_review_days": "Low risk review",
    "not_assessed_review_working_days": "Review before a risk assessment",
    "first_contact_working_days": "First contact with the victim",
    "reassess_high_days": "High risk re-assessment",
    "reassess_moderate_days": "Moderate risk re-assessment",
    "reassess_low_days": "Low risk re-assessment",
}
_RANGES = {
    "high_review_days": REVIEW_DAYS_RANGE,
    "moderate_review_days": REVIEW_DAYS_RANGE,
    "low_review_days": REVIEW_DAYS_RANGE,
    "not_assessed_review_working_days": WORKING_DAYS_RANGE,
    "first_contact_working_days": WORKING_DAYS_RANGE,
    "reassess_high_days": REVIEW_DAYS_RANGE,
    "reassess_moderate_days": REVIEW_DAYS_RANGE,
    "reassess_low_days": REVIEW_DAYS_RANGE,
}


@dataclass(frozen=True)
class RuleSettings:
    high_review_days: int
    moderate_review_days: int
    low_review_days: int
    not_assessed_review_working_days: int
    first_contact_working_days: int
    reassess_high_days: int
    reassess_moderate_days: int
    reassess_low_days: int
    is_default: bool  # the unit has never set its own

    def review_due(self, risk_level: str, start: date) -> date:
        """When a review period that starts on `start` ends, at `risk_level`.

        Calendar intervals that end on a weekend or bank holiday move to the next working day.
        """
        if risk_level == RiskLevel.NOT_ASSESSED:
            return add_working_days(start, self.not_assessed_review_working_days)
        days = {
            RiskLevel.HIGH: self.high_review_days,
            RiskLevel.MODERATE: self.moderate_review_days,
            RiskLevel.LOW: self.low_review_days,
        }[RiskLevel(risk_level)]
        return _next_working_day(start + timedelta(days=days))

    def reassess_due(self, risk_level: str, start: date) -> date | None:
        """When a case last assessed (or re-assessed) on `start` at `risk_level` is next due a
        risk assessment; None while its risk is not assessed (the review rule covers it)."""
        days = {
            RiskLevel.HIGH: self.reassess_high_days,
            RiskLevel.MODERATE: self.reassess_moderate_days,
            RiskLevel.LOW: self.reassess_low_days,
        }.get(RiskLevel(risk_level))
        if days is None:
            return None
        return _next_working_day(start + timedelta(days=days))

    def first_contact_due(self, accepted: date) -> date:
        return add_working_days(accepted, self.first_contact_working_days)


def _next_working_day(day: date) -> date:
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def work_rules_for(*, unit_id: int) -> RuleSettings:
    """The unit's rules, or masip's defaults when it has set none."""
    row = WorkRules.objects.filter(unit_id=unit_id).first()
    if row is None:
        return RuleSettings(**WorkRules.DEFAULTS, is_default=True)
    return RuleSettings(**{name: getattr(row, name) for name in WorkRules.DEFAULTS}, is_default=False)


def work_rules_set(*, actor: Any, unit: Unit, request: HttpRequest | None = None, **values: int) -> WorkRules:
    """Set the unit's task rules.

    Guarantees: only someone who oversees the unit's caseload may set them (PermissionDenied);
    every rule is given, review and re-assessment intervals are 1 to 366 calendar days with
    high <= moderate <= low,
    working-day rules are 1 to 30 (ValidationError by field, nothing written). The change and
    its audit event (fields and new values: unit settings, no personal data) commit together.
    """
    if not principal_for(actor).can(Capability.OVERSEE_UNIT_CASELOAD, unit_id=unit.pk):
        raise PermissionDenied("Only the unit's manager can change its task rules.")
    errors: dict[str, str] = {}
    for name, (low, high) in _RANGES.items():
        days = values.get(name)
        if isinstance(days, bool) or not isinstance(days, int) or not low <= days <= high:
            unit_word = "working days" if high == WORKING_DAYS_RANGE[1] else "days"
            errors[name] = f"{LABELS[name]}: enter a number of {unit_word} from {low} to {high}."
    unknown = set(values) - set(_RANGES)
    if unknown:
        raise ValueError(f"Unknown work rules: {sorted(unknown)}")
    if not errors:
        if values["high_review_days"] > values["moderate_review_days"]:
            errors["moderate_review_days"] = "Moderate risk cases cannot be reviewed more often than high risk ones."
        elif values["moderate_review_days"] > values["low_review_days"]:
            errors["low_review_days"] = "Low risk cases cannot be reviewed more often than moderate risk ones."
        if values["reassess_high_days"] > values["reassess_moderate_days"]:
            errors["reassess_moderate_days"] = (
                "Moderate risk cases cannot be re-assessed more often than high risk ones."
            )
        elif values["reassess_moderate_days"] > values["reassess_low_days"]:
            errors["reassess_low_days"] = "Low risk cases cannot be re-assessed more often than moderate risk ones."
    if errors:
        raise ValidationError(errors)
    return unit_settings_save(
        WorkRules,
        actor=actor,
        unit=unit,
        values={name: values[name] for name in _RANGES},
        event="work rules set",
        request=request,
    )
