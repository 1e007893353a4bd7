"""Writes to risk assessments: start one with an instrument version, save a draft, complete it
(the engine scores it), and raise its level with professional judgement. Each is one
transaction with its audit row inside.

The field's rule is kept here, and only here: professional judgement may raise the level the
answers give, with a written reason, and may never lower it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from masip.access.policy import Action, Capability, Compartment
from masip.access.principal import principal_for
from masip.audit.models import AuditAction
from masip.audit.services import audit_record
from masip.cases.models import Case, CaseStatus
from masip.core.models import locked_at_version, save_versioned
from masip.risk.definition import (
    LEVELS,
    AnswerError,
    Definition,
    ScoringMethod,
    clean_answers,
    level_rank,
    missing_answers,
    score,
)
from masip.risk.models import Assessment, AssessmentStatus, InstrumentVersion

REASON_MAX_LENGTH = 10_000
LEVEL_LABELS = {"low": "Low", "moderate": "Moderate", "high": "High"}


def assessment_compartment(version: InstrumentVersion) -> Compartment:
    """The compartment an instrument's assessments are kept in: the one its definition names;
    when it names none, `health` for an unscored (structured professional judgement) instrument,
    whose answers are clinical, and the case team's otherwise."""
    named = version.definition.get("compartment")
    if named:
        return Compartment(named)
    return Compartment.HEALTH if version.parsed.method == ScoringMethod.NONE else Compartment.TEAM


def _unit_id(assessment_or_case: Any) -> int:
    return int(assessment_or_case.unit_id)


def _require_instrument_role(actor: Any, unit_id: int, definition: Definition) -> None:
    roles = principal_for(actor).roles_by_unit.get(unit_id, frozenset())
    if not roles & set(definition.roles):
        raise PermissionDenied(
            f"{definition.name} is for the roles its definition lists; yours in this unit is not one of them. "
            "Ask a colleague who may use it, or your unit manager."
        )


def _require_compartment(actor: Any, unit_id: int, compartment: str, action: str) -> None:
    if not principal_for(actor).may(unit_id, compartment, action):
        raise PermissionDenied(
            f"Your role does not allow this in the “{Compartment(compartment).label}” compartment, "
            "where this instrument's assessments are kept."
        )


def _require_case_open(case: Case) -> None:
    if case.status == CaseStatus.CLOSED:
        raise ValidationError(
            f"Case {case.reference} is closed, so its risk cannot be assessed. Reopen the case first if the "
            "risk needs assessing again."
        )


def _require_referral_open(referral: Any) -> None:
    from masip.referrals.models import OPEN_STATUSES

    if referral.status not in OPEN_STATUSES:
        raise ValidationError(
            f"Referral {referral.reference} is “{referral.get_status_display()}”, so screening assessments can "
            "no longer be made on it. Assess the risk on the case instead."
        )


def _require_where(actor: Any, assessment: Assessment) -> None:
    """A case assessment needs an open case; one still only on a referral needs the actor to screen
    the referral's unit and the referral still waiting for its decision."""
    if assessment.case_id is not None:
        _require_case_open(Case.unscoped.get(pk=assessment.case_id))
        return
    referral: Any = assessment.referral
    if not principal_for(actor).can(Capability.TRIAGE_REFERRALS, unit_id=referral.unit_id):
        raise PermissionDenied("Your role does not allow screening this unit's referrals.")
    _require_referral_open(referral)


def assessment_start(
    *,
    actor: Any,
    instrument_version: InstrumentVersion,
    case: Case | None = None,
    referral: Any = None,
    request: HttpRequest | None = None,
) -> Assessment:
    """Start a draft assessment with `instrument_version`, on a case or on a referral at screening.

    Guarantees: exactly one of case and referral; the version is not withdrawn and is the unit's
    or one masip ships; the actor holds a role the definition lists in that unit and may create
    in the assessment's compartment (`assessment_compartment`); a case is not closed; a
    referral is submitted and still waiting for its triage decision, and the actor screens the
    unit's referrals. Else PermissionDenied or ValidationError and nothing is written. The
    assessor is the actor; audited as `create` in the same transaction.
    """
    if (case is None) == (referral is None):
        raise ValueError("An assessment is made on a case or on a referral, not both or neither.")
    unit_id = case.unit_id if case is not None else referral.unit_id
    instrument = instrument_version.instrument
    if instrument.unit_id not in (None, unit_id):
        raise PermissionDenied("That instrument is another unit's.")
    definition = instrument_version.parsed
    if instrument_version.withdrawn_at is not None:
        raise ValidationError(
            f"Version {instrument_version.version} of {definition.name} has been withdrawn, so new assessments "
            "cannot use it. Start the assessment with the version offered now."
        )
    _require_instrument_role(actor, unit_id, definition)
    compartment = assessment_compartment(instrument_version)
    _require_compartment(actor, unit_id, compartment, Action.CREATE)
    if case is not None:
        _require_case_open(case)
    else:
        if not principal_for(actor).can(Capability.TRIAGE_REFERRALS, unit_id=unit_id):
            raise PermissionDenied("Your role does not allow screening this unit's referrals.")
        _require_referral_open(referral)
    with transaction.atomic():
        assessment = Assessment.unscoped.create(
            unit_id=unit_id,
            case=case,
            referral=referral,
            instrument_version=instrument_version,
            compartment=compartment,
            assessor=actor,
            assessed_on=timezone.localdate(),
            created_by=actor,
        )
        audit_record(
            action=AuditAction.CREATE,
            actor=actor,
            request=request,
            unit=assessment.unit,
            obj=assessment,
            case_id=case.pk if case is not None else None,
            fields=["instrument_version", "compartment", "assessor"],
            detail={"instrument": instrument.key, "version": instrument_version.version},
        )
    return assessment


def assessment_may_edit(*, actor: Any, assessment: Assessment) -> bool:
    """Only the assessor edits and completes a draft, while they may still use the instrument
    and write in its compartment: the answers and the result are theirs, and the record names
    them as the person who assessed. A colleague starts their own assessment instead."""
    if assessment.status != AssessmentStatus.DRAFT or assessment.assessor_id != getattr(actor, "pk", None):
        return False
    unit_id = _unit_id(assessment)
    roles = principal_for(actor).roles_by_unit.get(unit_id, frozenset())
    return bool(roles & set(assessment.instrument_version.parsed.roles)) and principal_for(actor).may(
        unit_id, assessment.compartment, Action.CREATE
    )


def _require_draft(assessment: Assessment) -> None:
    if assessment.status != AssessmentStatus.DRAFT:
        raise ValidationError(
            "This assessment is completed and cannot be changed: it is the record of what was assessed "
            "then. To record a higher level use “Raise the level”; for new answers start a new assessment."
        )


def _require_editor(actor: Any, assessment: Assessment) -> None:
    _require_draft(assessment)
    if not assessment_may_edit(actor=actor, assessment=assessment):
        raise PermissionDenied(
            "Only the assessor can change or complete this draft. Start your own assessment if you need one."
        )


def _cleaned(definition: Definition, answers: Mapping[str, Any]) -> dict[str, Any]:
    try:
        return clean_answers(definition, answers)
    except AnswerError as error:
        raise ValidationError({item or "answers": [message] for item, message in error.problems.items()}) from None


def _locked_current(assessment: Assessment, expected_version: int) -> Assessment:
    return locked_at_version(
        Assessment.unscoped.select_related("instrument_version"),
        assessment.pk,
        expected_version=expected_version,
        label="assessment",
    )


def assessment_save_draft(
    *,
    actor: Any,
    assessment: Assessment,
    expected_version: int,
    answers: Mapping[str, Any],
    request: HttpRequest | None = None,
) -> Assessment:
    """Save the answers given so far. Guarantees: the assessment is a draft (a completed one is
    never changed) and the actor is its assessor (`assessment_may_edit`); every answer fits the
    instrument version (an unknown item or a wrong answer is refused by item, nothing stored);
    nobody saved it since `expected_version` (else StaleEditError carrying it as it stands, nothing written).
    Audited as `change` naming only the answers field."""
    _require_editor(actor, assessment)
    _require_where(actor, assessment)
    cleaned = _cleaned(assessment.instrument_version.parsed, answers)
    with transaction.atomic():
        current = _locked_current(assessment, expected_version)
        _require_draft(current)
        current.answers = cleaned
        save_versioned(current, expected_version=expected_version, fields=["answers_json"])
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            request=request,
            unit=current.unit,
            obj=current,
            case_id=current.case_id,
            fields=["answers"],
            detail={"version": current.version},
        )
    return current


def _reason(text: str, *, field: str, missing: str) -> str:
    cleaned = (text or "").strip()
    if not cleaned:
        raise ValidationError({field: missing})
    if len(cleaned) > REASON_MAX_LENGTH:
        raise ValidationError({field: f"Keep it under {REASON_MAX_LENGTH:,} characters."})
    return cleaned


def _level(value: str | None, field: str) -> str | None:
    if value in (None, ""):
        return None
    if value not in LEVELS:
        raise ValidationError({field: "Choose low, moderate or high."})
    return value


def lowering_refusal(computed: str, asked: str) -> str:
    return (
        "Professional judgement can raise a risk level but never lower it: the answers give "
        f"{LEVEL_LABELS[computed]}, so the level cannot be {LEVEL_LABELS[asked]}. Keep {LEVEL_LABELS[computed]} "
        "or choose a higher level with your reasons. If the risk has fallen since, record that in a new assessment."
    )


def assessment_complete(
    *,
    actor: Any,
    assessment: Assessment,
    expected_version: int,
    answers: Mapping[str, Any],
    rationale: str,
    judgement_level: str | None = None,
    judgement_reason: str = "",
    request: HttpRequest | None = None,
) -> Assessment:
    """Complete a draft: the engine scores it and the level is settled.

    Guarantees, beyond those of `assessment_save_draft`: every required item the answers ask is
    answered (else ValidationError naming each); the score, band and computed level come from
    the engine and the stored instrument version, never from the form; the level is the computed
    one, or a higher one the assessor judged with a written reason, never a lower one (refused
    in words). Where the answers give no level (an unscored instrument, or a score below every
    band) the assessor sets the level and must give the rationale for it. Sets `completed_at`,
    audits `change`, and for a case brings the case's risk level and review tasks in line
    (`case_risk_refresh`), all in one transaction.
    """
    from masip.risk.current import case_risk_refresh

    _require_editor(actor, assessment)
    _require_where(actor, assessment)
    definition = assessment.instrument_version.parsed
    cleaned = _cleaned(definition, answers)
    errors: dict[str, list[str]] = {}
    for item in missing_answers(definition, cleaned):
        errors.setdefault(item.id, []).append("Answer this question: the assessment cannot be completed without it.")
    result = score(definition, cleaned)
    computed = result.level
    chosen = _level(judgement_level, "judgement_level")
    reason = (judgement_reason or "").strip()
    summary = (rationale or "").strip()
    if computed is None:
        if chosen is None:
            errors["judgement_level"] = [
                "These answers give no level to start from, so set the level yourself: low, moderate or high."
            ]
        if not summary:
            errors["rationale"] = ["Write the rationale for the level you set: there is no score to support it."]
        level = chosen
    elif chosen is not None and level_rank(chosen) < level_rank(computed):
        errors["judgement_level"] = [lowering_refusal(computed, chosen)]
        level = computed
    else:
        level = chosen or computed
        if level != computed and not reason:
            errors["judgement_reason"] = [
                f"Write why you judge the risk {LEVEL_LABELS[level]} when the answers give {LEVEL_LABELS[computed]}."
            ]
    for text, field in ((summary, "rationale"), (reason, "judgement_reason")):
        if len(text) > REASON_MAX_LENGTH:
            errors[field] = [f"Keep it under {REASON_MAX_LENGTH:,} characters."]
    if errors:
        raise ValidationError(errors)
    raised = computed is not None and level != computed
    with transaction.atomic():
        current = _locked_current(assessment, expected_version)
        _require_draft(current)
        current.answers = cleaned
        current.status = AssessmentStatus.COMPLETED
        current.score = result.score
        current.computed_band = result.band.label[:64] if result.band else ""
        current.computed_level = computed or ""
        current.level = level or ""
        current.judgement_reason = reason if raised else ""
        current.rationale = summary
        current.assessed_on = timezone.localdate()
        current.completed_at = timezone.now()
        fields = [
            "answers_json",
            "status",
            "score",
            "computed_band",
            "computed_level",
            "level",
            "judgement_reason",
            "rationale",
            "assessed_on",
            "completed_at",
        ]
        save_versioned(current, expected_version=expected_version, fields=fields)
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            request=request,
            unit=current.unit,
            obj=current,
            case_id=current.case_id,
            fields=["answers", *fields[1:]],
            detail={"completed": True, "computed_level": computed or "", "level": level, "raised": raised},
        )
        if current.case_id is not None:
            case = Case.unscoped.get(pk=current.case_id)
            case_risk_refresh(case=case, actor=actor, request=request)
            from masip.timeline.redflags import redflags_evaluate_case

            redflags_evaluate_case(case=case, actor=actor, request=request)
    return current


def assessment_may_raise(*, actor: Any, assessment: Assessment) -> bool:
    """Anyone who may use the instrument in the unit and change records in its compartment may
    record a higher level on a completed assessment (a judgement, not an edit of the answers)."""
    if assessment.status != AssessmentStatus.COMPLETED:
        return False
    unit_id = _unit_id(assessment)
    principal = principal_for(actor)
    roles = principal.roles_by_unit.get(unit_id, frozenset())
    return bool(roles & set(assessment.instrument_version.parsed.roles)) and principal.may(
        unit_id, assessment.compartment, Action.CHANGE
    )


def assessment_raise(
    *,
    actor: Any,
    assessment: Assessment,
    expected_version: int,
    level: str,
    reason: str,
    request: HttpRequest | None = None,
) -> Assessment:
    """Raise a completed assessment's level with professional judgement, after completion.

    Guarantees: the assessment is completed and the actor may raise it (`assessment_may_raise`);
    the new level is higher than the level it has now (never lower: refused in words) and
    comes with a written reason, which replaces the earlier judgement reason on the assessment
    (who raised it, when, from and to which level stay in the audit log, one row per raise);
    the answers, score and computed band never change. Version-checked; for a case, the case's
    risk level and review tasks follow in the same transaction.
    """
    from masip.risk.current import case_risk_refresh

    if assessment.status != AssessmentStatus.COMPLETED:
        raise ValidationError("Only a completed assessment can be raised. Complete the assessment first.")
    if not assessment_may_raise(actor=actor, assessment=assessment):
        raise PermissionDenied("Your role does not allow recording a judgement on this assessment.")
    _require_where(actor, assessment)
    chosen = _level(level, "level")
    if chosen is None:
        raise ValidationError({"level": "Choose the level you judge the risk to be."})
    before = assessment.level
    if before and level_rank(chosen) <= level_rank(before):
        if chosen == before:
            message = f"The level is already {LEVEL_LABELS[before]}. Choose a higher level to raise it."
        else:
            message = (
                "Professional judgement can raise a risk level but never lower it: this assessment's level is "
                f"{LEVEL_LABELS[before]}, so it cannot be {LEVEL_LABELS[chosen]}. If the risk has fallen, "
                "record that in a new assessment."
            )
        raise ValidationError({"level": message})
    text = _reason(reason, field="reason", missing=f"Write why you judge the risk {LEVEL_LABELS[chosen]} now.")
    with transaction.atomic():
        current = _locked_current(assessment, expected_version)
        current.level = chosen
        current.judgement_reason = text
        save_versioned(current, expected_version=expected_version, fields=["level", "judgement_reason"])
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            request=request,
            unit=current.unit,
            obj=current,
            case_id=current.case_id,
            fields=["level", "judgement_reason"],
            detail={"raised": True, "from": before, "to": chosen},
        )
        if current.case_id is not None:
            case_risk_refresh(case=Case.unscoped.get(pk=current.case_id), actor=actor, request=request)
    return current


def assessments_move_to_case(
    *, referral: Any, case: Case, actor: Any = None, request: HttpRequest | None = None
) -> int:
    """When a referral becomes (or joins) a case, the assessments made on it at screening join
    the case too (they keep their referral). Each move is audited; a completed one then counts
    towards the case's risk level. Runs in the caller's transaction. Returns how many moved."""
    from masip.risk.current import case_risk_refresh

    with transaction.atomic():
        moving = list(Assessment.unscoped.select_for_update().filter(referral=referral, case__isnull=True))
        if not moving:
            return 0
        Assessment.unscoped.filter(pk__in=[a.pk for a in moving]).update(case=case)
        for assessment in moving:
            audit_record(
                action=AuditAction.CHANGE,
                actor=actor,
                request=request,
                unit=case.unit,
                obj=assessment,
                case_id=case.pk,
                fields=["case"],
                detail={"referral": referral.reference},
            )
        if any(a.status == AssessmentStatus.COMPLETED for a in moving):
            case_risk_refresh(case=case, actor=actor, request=request)
    return len(moving)
