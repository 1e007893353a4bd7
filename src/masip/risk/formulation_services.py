"""Structured professional judgement (formulations): started and written by clinicians, saved as
drafts, completed once typology, the four risk domains and the risk state are reasoned. A
completed formulation is a dated snapshot and never changes; the next one is a new formulation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from masip.access.models import CaseTeamMember
from masip.access.policy import Action, Compartment
from masip.access.principal import principal_for
from masip.audit.models import AuditAction
from masip.audit.services import audit_record
from masip.cases.models import Case
from masip.core.models import StaleEditError, save_versioned
from masip.risk.current import case_risk_refresh
from masip.risk.models import (
    AssessmentStatus,
    Formulation,
    Imminence,
    Likelihood,
    RiskLevelChoice,
    RiskScenario,
    StalkerType,
)

TEXT_MAX_LENGTH = 10_000
MAX_SCENARIOS = 20
# The compartments a formulation may be kept in: clinical by default, or the whole team's.
COMPARTMENTS = (Compartment.HEALTH, Compartment.TEAM)
DOMAINS = (
    ("violence", "Risk of violence"),
    ("persistence", "Risk of persistence"),
    ("recurrence", "Risk of recurrence"),
    ("psychosocial_damage", "Risk of psychosocial damage to the stalker"),
)
CHOICES: dict[str, tuple[str, list[str]]] = {
    "stalker_type": ("Stalker type", StalkerType.values),
    **{name: (label, RiskLevelChoice.values) for name, label in DOMAINS},
    "risk_status": ("Risk status", RiskLevelChoice.values),
    "risk_state": ("Risk state", RiskLevelChoice.values),
}
TEXTS: dict[str, str] = {
    "stalker_type_reason": "Reason for the stalker type",
    **{f"{name}_rationale": f"{label}: rationale" for name, label in DOMAINS},
    "victim_vulnerability": "Victim vulnerability",
    "risk_status_rationale": "Risk status: rationale",
    "risk_state_rationale": "Risk state: rationale",
    "recommendations": "Overall recommendations",
}
LABELS = {"assessed_on": "Date of the formulation", **{k: v for k, (v, _) in CHOICES.items()}, **TEXTS}
FIELDS = ("assessed_on", *CHOICES, *TEXTS)


@dataclass(frozen=True)
class ScenarioInput:
    description: str
    likelihood: str
    imminence: str
    management: str = ""

    @property
    def blank(self) -> bool:
        return not (self.description.strip() or self.likelihood or self.imminence or self.management.strip())


class StaleFormulationError(StaleEditError):
    """A formulation saved by someone else after the editor opened it; nothing was written."""

    def __init__(self, current: Formulation, differences: list[str]) -> None:
        now = "; ".join(differences) if differences else "nothing you can see here (only its history)"
        Exception.__init__(
            self,
            "This formulation was saved by someone else after you opened it, so nothing you entered was "
            f"saved. It now differs from yours in: {now}. Check it as it is now and make your change again.",
        )
        self.current = current
        self.differences = differences


# --- who may ------------------------------------------------------------------------------------


def formulation_may_write(*, user: Any, case: Case) -> bool:
    """Formulations are clinical work: a role allowed to create in the health compartment."""
    return principal_for(user).may(case.unit_id, Compartment.HEALTH, Action.CREATE)


def formulation_compartments_offered(*, user: Any, case: Case) -> list[Compartment]:
    principal = principal_for(user)
    return [c for c in COMPARTMENTS if principal.may(case.unit_id, c, Action.CREATE)]


def _require_writer(actor: Any, case: Case) -> None:
    if not formulation_may_write(user=actor, case=case):
        raise PermissionDenied("Only clinicians can write formulations.")
    # The case team writes; a break-glass reader may read the case but not add judgements to it.
    if not CaseTeamMember.objects.active().filter(case_id=case.pk, user_id=principal_for(actor).user_id).exists():
        raise PermissionDenied("Only clinicians on the case team can write its formulations.")


# --- writes -------------------------------------------------------------------------------------


def formulation_start(
    *,
    actor: Any,
    case: Case,
    compartment: str = Compartment.HEALTH,
    assessed_on: date | None = None,
    request: HttpRequest | None = None,
) -> Formulation:
    """Start a draft formulation of `case` by `actor`, kept in `compartment` (health unless the
    clinician chooses the whole team), audited as `create`.

    Guarantees: only a clinician on the case team (PermissionDenied); the compartment is
    health or team (ValidationError); the date is not in the future.
    """
    _require_writer(actor, case)
    if compartment not in COMPARTMENTS:
        raise ValidationError({"compartment": "Choose who may read the formulation: clinicians or the case team."})
    assessed_on = assessed_on or timezone.localdate()
    if assessed_on > timezone.localdate():
        raise ValidationError({"assessed_on": "The date of a formulation cannot be in the future."})
    with transaction.atomic():
        formulation = Formulation.unscoped.create(
            unit_id=case.unit_id,
            case=case,
            compartment=compartment,
            assessor=actor,
            assessed_on=assessed_on,
            created_by=actor,
        )
        audit_record(
            action=AuditAction.CREATE,
            actor=actor,
            request=request,
            unit=case.unit,
            obj=formulation,
            case_id=case.pk,
            fields=["compartment", "assessed_on"],
        )
    return formulation


def _clean(values: dict[str, Any], scenarios: list[ScenarioInput]) -> tuple[dict[str, Any], list[ScenarioInput]]:
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    day = values.get("assessed_on")
    if not isinstance(day, date):
        errors["assessed_on"] = "Enter the date the formulation describes."
    elif day > timezone.localdate():
        errors["assessed_on"] = "The date of a formulation cannot be in the future."
    elif day < timezone.localdate() - timedelta(days=3660):
        errors["assessed_on"] = "The date is more than ten years ago. Check the year."
    cleaned["assessed_on"] = day
    for name, (label, allowed) in CHOICES.items():
        value = values.get(name) or ""
        if value and value not in allowed:
            errors[name] = f"{label}: choose one of the options."
        cleaned[name] = value
    for name, label in TEXTS.items():
        text = (values.get(name) or "").strip()
        if len(text) > TEXT_MAX_LENGTH:
            errors[name] = f"{label}: at most {TEXT_MAX_LENGTH} characters."
        cleaned[name] = text
    kept = [s for s in scenarios if not s.blank]
    if len(kept) > MAX_SCENARIOS:
        errors["scenarios"] = f"A formulation can have at most {MAX_SCENARIOS} scenarios."
    for number, scenario in enumerate(kept, start=1):
        if not scenario.description.strip():
            errors.setdefault("scenarios", f"Scenario {number}: say what could happen.")
        elif scenario.likelihood not in Likelihood.values or scenario.imminence not in Imminence.values:
            errors.setdefault("scenarios", f"Scenario {number}: choose how likely it is and how soon it could happen.")
        elif len(scenario.description) > TEXT_MAX_LENGTH or len(scenario.management) > TEXT_MAX_LENGTH:
            errors.setdefault("scenarios", f"Scenario {number}: at most {TEXT_MAX_LENGTH} characters per box.")
    if errors:
        raise ValidationError(errors)
    return cleaned, [
        ScenarioInput(s.description.strip(), s.likelihood, s.imminence, s.management.strip()) for s in kept
    ]


def _completion_errors(values: dict[str, Any]) -> dict[str, str]:
    """What a formulation needs before it is complete: the typology with its reason, each domain
    rated with its rationale, the risk state with its rationale (and a rationale for any status)."""
    errors = {}
    if not values["stalker_type"]:
        errors["stalker_type"] = "Choose the stalker type before completing."
    elif not values["stalker_type_reason"]:
        errors["stalker_type_reason"] = "Give the reason for the stalker type."
    for name, label in DOMAINS:
        if not values[name]:
            errors[name] = f"{label}: rate it low, moderate or high."
        elif not values[f"{name}_rationale"]:
            errors[f"{name}_rationale"] = f"{label}: give the rationale for the rating."
    if not values["risk_state"]:
        errors["risk_state"] = "Rate the current risk state: it sets the case's risk."
    elif not values["risk_state_rationale"]:
        errors["risk_state_rationale"] = "Give the rationale for the risk state."
    if values["risk_status"] and not values["risk_status_rationale"]:
        errors["risk_status_rationale"] = "Give the rationale for the risk status."
    return errors


def _scenarios_of(formulation: Formulation) -> list[ScenarioInput]:
    return [
        ScenarioInput(s.description, s.likelihood, s.imminence, s.management)
        for s in RiskScenario.unscoped.filter(formulation=formulation).order_by("position", "created_at")
    ]


def _differences(current: Formulation, values: dict[str, Any], scenarios: list[ScenarioInput]) -> list[str]:
    shown = [LABELS[name] for name in FIELDS if getattr(current, name) != values[name]]
    if _scenarios_of(current) != scenarios:
        shown.append("Risk scenarios")
    if current.status != AssessmentStatus.DRAFT:
        shown.insert(0, "Status (completed)")
    return shown


def _write(
    *,
    actor: Any,
    formulation: Formulation,
    expected_version: int,
    values: dict[str, Any],
    scenarios: list[ScenarioInput],
    complete: bool,
    request: HttpRequest | None,
) -> Formulation:
    case = formulation.case
    _require_writer(actor, case)
    if not principal_for(actor).may(case.unit_id, formulation.compartment, Action.CHANGE):
        raise PermissionDenied("Your role does not allow changing this formulation.")
    cleaned, kept = _clean(values, scenarios)
    if complete:
        missing = _completion_errors(cleaned)
        if missing:
            raise ValidationError(missing)
    with transaction.atomic():
        current = Formulation.unscoped.select_for_update().get(pk=formulation.pk)
        if current.version != expected_version or current.status != AssessmentStatus.DRAFT:
            if current.version == expected_version:
                raise ValidationError("This formulation is completed and can no longer be changed.")
            raise StaleFormulationError(current, _differences(current, cleaned, kept))
        changed = [name for name in FIELDS if getattr(current, name) != cleaned[name]]
        scenarios_changed = _scenarios_of(current) != kept
        for name in FIELDS:
            setattr(current, name, cleaned[name])
        fields = list(FIELDS)
        if complete:
            current.status = AssessmentStatus.COMPLETED
            current.completed_at = timezone.now()
            fields += ["status", "completed_at"]
        if changed or scenarios_changed or complete:
            try:
                save_versioned(current, expected_version=expected_version, fields=fields)
            except StaleEditError:  # pragma: no cover - the row lock makes this unreachable
                raise StaleFormulationError(current, []) from None
        if scenarios_changed:
            RiskScenario.unscoped.filter(formulation=current).delete()
            RiskScenario.unscoped.bulk_create(
                RiskScenario(
                    formulation=current,
                    case=case,
                    compartment=current.compartment,
                    description=s.description,
                    likelihood=s.likelihood,
                    imminence=s.imminence,
                    management=s.management,
                    position=position,
                    created_by=actor,
                )
                for position, s in enumerate(kept)
            )
        if changed or scenarios_changed or complete:
            audit_record(
                action=AuditAction.CHANGE,
                actor=actor,
                request=request,
                unit=case.unit,
                obj=current,
                case_id=case.pk,
                fields=[*changed, *(["scenarios"] if scenarios_changed else []), *(["status"] if complete else [])],
                detail={"version": current.version, **({"event": "completed"} if complete else {})},
            )
        if complete:
            case_risk_refresh(case=case, actor=actor, request=request)
    return current


def formulation_save(
    *,
    actor: Any,
    formulation: Formulation,
    expected_version: int,
    values: dict[str, Any],
    scenarios: list[ScenarioInput],
    request: HttpRequest | None = None,
) -> Formulation:
    """Save a draft formulation as it stands, audited as `change` (names of the fields changed).

    Guarantees: only clinicians on the case team who may change the formulation's compartment
    (PermissionDenied); choices are known ones, texts fit, every scenario kept says what, how
    likely and how soon (ValidationError by field); a stale `expected_version` raises
    StaleFormulationError naming what now differs, and a completed one is refused
    (ValidationError): nothing is written then. Blank scenario rows are dropped.
    """
    return _write(
        actor=actor,
        formulation=formulation,
        expected_version=expected_version,
        values=values,
        scenarios=scenarios,
        complete=False,
        request=request,
    )


def formulation_complete(
    *,
    actor: Any,
    formulation: Formulation,
    expected_version: int,
    values: dict[str, Any],
    scenarios: list[ScenarioInput],
    request: HttpRequest | None = None,
) -> Formulation:
    """Save and complete a formulation: from then on it never changes.

    Guarantees: as formulation_save, and it has the stalker type with its reason, all four
    domains rated with their rationale and the risk state with its rationale (ValidationError
    by field, nothing written). The case's current risk is refreshed in the same transaction.
    """
    return _write(
        actor=actor,
        formulation=formulation,
        expected_version=expected_version,
        values=values,
        scenarios=scenarios,
        complete=True,
        request=request,
    )
