"""A unit's triage deadlines: how many working days it allows for a decision, by urgency.

The deadline is worked out when a referral is received (`decision_deadline_for`), so a change
here applies to referrals received from then on; referrals already waiting keep theirs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest

from masip.access.policy import Capability
from masip.access.principal import principal_for
from masip.accounts.models import Unit
from masip.core.unit_settings import unit_settings_save
from masip.referrals.models import TriageDeadlines, Urgency

MIN_DAYS = 1
MAX_DAYS = 30
_LABELS = {"immediate_days": "Immediate", "urgent_days": "Urgent", "routine_days": "Routine"}


@dataclass(frozen=True)
class DeadlineSettings:
    immediate_days: int
    urgent_days: int
    routine_days: int
    is_default: bool  # the unit has never set its own


def triage_deadlines_for(*, unit: Unit) -> DeadlineSettings:
    """The unit's working days per urgency, or masip's defaults when it has set none."""
    row = TriageDeadlines.objects.filter(unit=unit).first()
    if row is None:
        defaults = TriageDeadlines.DEFAULTS
        return DeadlineSettings(
            immediate_days=defaults[Urgency.IMMEDIATE],
            urgent_days=defaults[Urgency.URGENT],
            routine_days=defaults[Urgency.ROUTINE],
            is_default=True,
        )
    return DeadlineSettings(row.immediate_days, row.urgent_days, row.routine_days, is_default=False)


def triage_deadlines_set(
    *,
    actor: Any,
    unit: Unit,
    immediate_days: int,
    urgent_days: int,
    routine_days: int,
    request: HttpRequest | None = None,
) -> TriageDeadlines:
    """Set the unit's working days for a triage decision at each urgency.

    Guarantees: only someone who oversees the unit's caseload may set them (PermissionDenied);
    each is a whole number of working days from 1 to 30 and immediate <= urgent <= routine
    (ValidationError by field, nothing written). The change and its audit event (the fields
    changed and their new day counts: unit settings, no personal data) commit together. It
    applies to referrals received from then on; referrals already received keep their deadline.
    """
    if not principal_for(actor).can(Capability.OVERSEE_UNIT_CASELOAD, unit_id=unit.pk):
        raise PermissionDenied("Only the unit's manager can change its triage deadlines.")
    values = {"immediate_days": immediate_days, "urgent_days": urgent_days, "routine_days": routine_days}
    errors: dict[str, str] = {}
    for name, days in values.items():
        if isinstance(days, bool) or not isinstance(days, int) or not MIN_DAYS <= days <= MAX_DAYS:
            errors[name] = f"{_LABELS[name]}: enter a number of working days from {MIN_DAYS} to {MAX_DAYS}."
    if not errors:
        if immediate_days > urgent_days:
            errors["urgent_days"] = "Urgent referrals cannot be given less time than immediate ones."
        if urgent_days > routine_days:
            errors["routine_days"] = "Routine referrals cannot be given less time than urgent ones."
    if errors:
        raise ValidationError(errors)
    return unit_settings_save(
        TriageDeadlines, actor=actor, unit=unit, values=values, event="triage deadlines set", request=request
    )
