"""Reads of risk assessments that the pages share, scoped with visible_to (case or referral,
and compartment). Reads that show an assessment to a person write their audit row here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from masip.access.lookup import get_visible_or_404
from masip.access.policy import Action
from masip.audit.models import AuditAction
from masip.audit.services import audit_listing, audit_record
from masip.cases.models import Case
from masip.risk.definition import Definition, Item, ItemType, Result, Trigger, TriggerAction, score
from masip.risk.instrument_selectors import instruments_offered
from masip.risk.models import Assessment, InstrumentVersion

_LISTED_FIELDS = ["assessed_on", "instrument_version", "assessor", "score", "computed_band", "level", "status"]
_SHOWN_FIELDS = [*_LISTED_FIELDS, "answers", "computed_level", "judgement_reason", "rationale"]


def _assessments(user: Any) -> Any:
    return Assessment.objects.visible_to(user, Action.VIEW).select_related(
        "assessor", "instrument_version__instrument", "unit", "referral", "case"
    )


def _audit_list(*, user: Any, unit: Any, case_id: Any, items: list[Assessment], request: HttpRequest | None) -> None:
    audit_listing(
        actor=user,
        object_type=Assessment._meta.label_lower,
        ids=(a.pk for a in items),
        unit=unit,
        case_id=case_id,
        fields=_LISTED_FIELDS,
        request=request,
    )


def assessment_list_for(*, user: Any, case: Case, request: HttpRequest | None = None) -> list[Assessment]:
    """The case's assessments in compartments the user may view, newest first; the read audited."""
    items = list(_assessments(user).filter(case=case))
    _audit_list(user=user, unit=case.unit, case_id=case.pk, items=items, request=request)
    return items


def referral_assessment_list_for(*, user: Any, referral: Any, request: HttpRequest | None = None) -> list[Assessment]:
    """The assessments made on the referral that the user may view (those that have moved to a
    case only for the case's team), newest first; the read audited."""
    items = list(_assessments(user).filter(referral=referral))
    _audit_list(user=user, unit=referral.unit, case_id=None, items=items, request=request)
    return items


def _audit_one(*, user: Any, assessment: Assessment, request: HttpRequest | None) -> None:
    audit_record(
        action=AuditAction.VIEW,
        actor=user,
        request=request,
        unit=assessment.unit,
        obj=assessment,
        case_id=assessment.case_id,
        fields=_SHOWN_FIELDS,
    )


def assessment_get_for(*, user: Any, case: Case, assessment_id: Any, request: HttpRequest | None = None) -> Assessment:
    """One assessment of `case` the user may view, its reading audited; another case's or
    unit's, a compartment the user may not view, a missing or malformed id: the same audited 404."""
    assessment = get_visible_or_404(_assessments(user).filter(case=case), assessment_id, user=user, request=request)
    _audit_one(user=user, assessment=assessment, request=request)
    return assessment


def referral_assessment_get_for(
    *, user: Any, referral: Any, assessment_id: Any, request: HttpRequest | None = None
) -> Assessment:
    """One assessment made on `referral` that the user may view, else the same audited 404."""
    assessment = get_visible_or_404(
        _assessments(user).filter(referral=referral), assessment_id, user=user, request=request
    )
    _audit_one(user=user, assessment=assessment, request=request)
    return assessment


def instrument_version_offered(*, user: Any, unit: Any, version_id: Any) -> InstrumentVersion | None:
    """The offered version with this id, or None (not offered to this user, withdrawn, unknown)."""
    return next((v for v in instruments_offered(user=user, unit=unit) if str(v.pk) == str(version_id)), None)


@dataclass(frozen=True)
class NextStep:
    """A trigger that fired, as the completed assessment page shows it."""

    message: str
    starts: InstrumentVersion | None  # the offered instrument it suggests starting, if any
    formulation: bool


def assessment_result(assessment: Assessment) -> Result:
    """The engine's result for the stored answers, with the assessment's own instrument version."""
    return score(assessment.instrument_version.parsed, assessment.answers)


def assessment_next_steps(*, user: Any, assessment: Assessment, result: Result) -> list[NextStep]:
    """What the result suggests next, with the instrument to start where the user is offered it."""
    offered = {v.instrument.key: v for v in instruments_offered(user=user, unit=assessment.unit)}
    return [_step(trigger, offered) for trigger in result.triggers]


def _step(trigger: Trigger, offered: dict[str, InstrumentVersion]) -> NextStep:
    starts = offered.get(trigger.instrument or "") if trigger.action == TriggerAction.START_INSTRUMENT else None
    return NextStep(
        message=trigger.message, starts=starts, formulation=trigger.action == TriggerAction.PROMPT_FORMULATION
    )


@dataclass(frozen=True)
class ShownAnswer:
    item: Item
    answer: str


def answers_shown(definition: Definition, answers: dict[str, Any]) -> list[tuple[str, list[ShownAnswer]]]:
    """Each section's items with the answer given, in words (option labels, not values)."""
    shown = []
    for section in definition.sections:
        rows = []
        for item in section.items:
            value = answers.get(item.id)
            if value is None:
                text = "Not answered"
            elif isinstance(value, list):
                text = ", ".join((o.label if (o := item.option(v)) else v) for v in value)
            elif item.options:
                option = item.option(value)
                text = option.label if option else str(value)
            else:
                text = str(value).capitalize() if item.type == ItemType.YES_NO else str(value)
            rows.append(ShownAnswer(item=item, answer=text))
        shown.append((section.title, rows))
    return shown
