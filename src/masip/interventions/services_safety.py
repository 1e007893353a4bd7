"""Writes for victim safety and support. Each checks the access policy itself, runs in one
transaction and writes its audit event inside it (field names only, never values)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from masip.access.decorators import require_case_action
from masip.access.models import CaseTeamMember
from masip.access.policy import Action, Compartment
from masip.audit.models import AuditAction
from masip.audit.services import audit_record
from masip.cases.models import CaseParticipant, ParticipantRole
from masip.core.models import StaleEditError, save_versioned
from masip.interventions.models_safety import (
    AdvocacyContact,
    MeasureOccasion,
    NeedsAssessment,
    SafeChannel,
    SafeContactPreference,
    SafetyActionKind,
    SafetyActionStatus,
    SafetyPlan,
    SafetyPlanAction,
    SafetyPlanVersion,
    SupportNeed,
    SupportReferral,
    SupportReferralKind,
    VictimMeasure,
)


class StalePlanError(StaleEditError):
    """The plan was revised by someone else after this revision was started; nothing was written."""

    def __init__(self, current: int) -> None:
        self.current = current
        Exception.__init__(
            self,
            f"Someone else saved version {current} of this safety plan after you opened it. Nothing you "
            "entered was saved: your entries are below. Read the current version, then save again to "
            "make yours the next version.",
        )


@dataclass(frozen=True)
class PlannedAction:
    kind: str
    description: str
    owner: Any
    due_on: date
    status: str = SafetyActionStatus.OPEN


def _require_victim(participant: CaseParticipant) -> None:
    if participant.role != ParticipantRole.VICTIM or participant.ended_at is not None:
        raise ValidationError("Safety and support are recorded for a current victim on the case only.")


def _audit(
    action: AuditAction,
    *,
    actor: Any,
    obj: Any,
    participant: CaseParticipant,
    fields: Iterable[str],
    request: HttpRequest | None,
) -> None:
    audit_record(
        action=action,
        actor=actor,
        request=request,
        unit=participant.case.unit,
        obj=obj,
        case_id=participant.case_id,
        person_id=participant.person_id,
        fields=fields,
    )


def safety_plan_revise(
    *,
    actor: Any,
    participant: CaseParticipant,
    based_on: int,
    risks: str,
    review_on: date,
    actions: Sequence[PlannedAction],
    request: HttpRequest | None = None,
) -> SafetyPlanVersion:
    """Save a new version of the victim's safety plan, numbered one after `based_on` (0 for the
    first plan). Guarantees: earlier versions are untouched; a revision based on a version that
    is no longer the current one raises StalePlanError and writes nothing; every action's owner
    is on the case team. Saving a revision adds a version, so the team's `create` right suffices."""
    case = participant.case
    require_case_action(actor, case.unit_id, Compartment.TEAM, Action.CREATE)
    _require_victim(participant)
    errors: dict[str, list[str]] = {}
    if not risks.strip():
        errors["risks"] = ["Enter the risks this plan addresses."]
    # A plan is revised before its review date; an action may be overdue already (it is recorded as it stands).
    if review_on < timezone.localdate():
        errors["review_on"] = ["Enter a review date that is today or later."]
    team_ids = set(CaseTeamMember.objects.active().filter(case=case).values_list("user_id", flat=True))
    for number, action in enumerate(actions, start=1):
        if action.kind not in SafetyActionKind.values or action.status not in SafetyActionStatus.values:
            errors.setdefault("actions", []).append(f"Action {number}: choose a kind and a status from the lists.")
        if not action.description.strip():
            errors.setdefault("actions", []).append(f"Action {number}: describe what will be done.")
        if action.owner is None or action.owner.pk not in team_ids:
            errors.setdefault("actions", []).append(f"Action {number}: choose an owner from the case team.")
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            plan = SafetyPlan.unscoped.select_for_update().filter(participant=participant).first()
            if plan is None:
                if based_on != 0:
                    raise StalePlanError(0)
                plan = SafetyPlan.unscoped.create(case=case, participant=participant, created_by=actor, version=1)
            else:
                try:
                    save_versioned(plan, expected_version=based_on, fields=[])
                except StaleEditError:
                    raise StalePlanError(SafetyPlan.unscoped.get(pk=plan.pk).version) from None
            version = SafetyPlanVersion.unscoped.create(
                plan=plan, case=case, number=plan.version, risks=risks.strip(), review_on=review_on, created_by=actor
            )
            SafetyPlanAction.unscoped.bulk_create(
                SafetyPlanAction(
                    plan_version=version,
                    position=position,
                    kind=action.kind,
                    description=action.description.strip(),
                    owner=action.owner,
                    due_on=action.due_on,
                    status=action.status,
                    created_by=actor,
                )
                for position, action in enumerate(actions, start=1)
            )
            _audit(
                AuditAction.CREATE,
                actor=actor,
                obj=version,
                participant=participant,
                fields=["number", "risks", "review_on", "actions"],
                request=request,
            )
    except IntegrityError:
        # Two first plans (or two revisions) raced: the other one won.
        current = SafetyPlan.unscoped.filter(participant=participant).values_list("version", flat=True).first()
        raise StalePlanError(current or 0) from None
    return version


def safe_contact_save(
    *,
    actor: Any,
    participant: CaseParticipant,
    expected_version: int,
    safe_channels: Iterable[str],
    safe_times: str,
    no_voicemail: bool,
    safe_word: str,
    trusted_third_party: str,
    request: HttpRequest | None = None,
) -> SafeContactPreference:
    """Record or change how the victim may safely be contacted (victim contact details: only roles
    that may change them). `expected_version` is 0 when none were recorded; a stale edit raises
    StaleEditError and writes nothing."""
    case = participant.case
    require_case_action(actor, case.unit_id, Compartment.VICTIM_CONTACT, Action.CHANGE)
    _require_victim(participant)
    channels = [code for code in SafeChannel.values if code in set(safe_channels)]
    if len(channels) != len(set(safe_channels)):
        raise ValidationError({"safe_channels": ["Choose safe channels from the list."]})
    values = {
        "safe_channels": channels,
        "safe_times": safe_times.strip(),
        "no_voicemail": no_voicemail,
        "safe_word": safe_word.strip(),
        "trusted_third_party": trusted_third_party.strip(),
    }
    with transaction.atomic():
        existing = SafeContactPreference.unscoped.filter(participant=participant).first()
        if existing is None:
            if expected_version != 0:
                raise StaleEditError("safe contact preference")
            try:
                with transaction.atomic():
                    prefs = SafeContactPreference.unscoped.create(
                        case=case, participant=participant, created_by=actor, **values
                    )
            except IntegrityError:
                raise StaleEditError("safe contact preference") from None
            changed = [name for name, value in values.items() if value]
            action = AuditAction.CREATE
        else:
            prefs = existing
            changed = [name for name, value in values.items() if getattr(prefs, name) != value]
            for name, value in values.items():
                setattr(prefs, name, value)
            save_versioned(prefs, expected_version=expected_version, fields=list(values))
            action = AuditAction.CHANGE
        _audit(action, actor=actor, obj=prefs, participant=participant, fields=changed, request=request)
    return prefs


def unsafe_channels_for(victim_participant: CaseParticipant) -> set[str]:
    """The contact channels the victim has NOT named as safe (codes among phone, text, email,
    letter, in_person, advocate), for refusing an update sent on one of them. An empty set when
    no preferences are recorded: nothing is known to be unsafe."""
    safe = (
        SafeContactPreference.unscoped.filter(participant=victim_participant)
        .values_list("safe_channels", flat=True)
        .first()
    )
    if safe is None:
        return set()
    return set(SafeChannel.values) - set(safe)


# Advocacy (ISAC) support log ----------------------------------------------------------------


def _advocacy_check(actor: Any, participant: CaseParticipant) -> None:
    require_case_action(actor, participant.case.unit_id, Compartment.ADVOCACY, Action.CREATE)
    _require_victim(participant)


def advocacy_contact_record(
    *,
    actor: Any,
    participant: CaseParticipant,
    contact_on: date,
    channel: str,
    summary: str,
    request: HttpRequest | None = None,
) -> AdvocacyContact:
    """Log one support contact with the victim, in the advocacy compartment."""
    _advocacy_check(actor, participant)
    if channel not in SafeChannel.values:
        raise ValidationError({"channel": ["Choose how the contact was made."]})
    if not summary.strip():
        raise ValidationError({"summary": ["Enter a summary of the contact."]})
    with transaction.atomic():
        contact = AdvocacyContact.unscoped.create(
            case=participant.case,
            participant=participant,
            contact_on=contact_on,
            channel=channel,
            summary=summary.strip(),
            created_by=actor,
        )
        _audit(
            AuditAction.CREATE,
            actor=actor,
            obj=contact,
            participant=participant,
            fields=["contact_on", "channel", "summary"],
            request=request,
        )
    return contact


def needs_assessment_record(
    *,
    actor: Any,
    participant: CaseParticipant,
    assessed_on: date,
    needs: Iterable[str],
    notes: str,
    request: HttpRequest | None = None,
) -> NeedsAssessment:
    """Record the victim's support needs as assessed on a date, in the advocacy compartment."""
    _advocacy_check(actor, participant)
    chosen = set(needs)
    if not chosen or not chosen <= set(SupportNeed.values):
        raise ValidationError({"needs": ["Choose at least one need from the list."]})
    with transaction.atomic():
        assessment = NeedsAssessment.unscoped.create(
            case=participant.case,
            participant=participant,
            assessed_on=assessed_on,
            needs=[code for code in SupportNeed.values if code in chosen],
            notes=notes.strip(),
            created_by=actor,
        )
        _audit(
            AuditAction.CREATE,
            actor=actor,
            obj=assessment,
            participant=participant,
            fields=["assessed_on", "needs", "notes"],
            request=request,
        )
    return assessment


def support_referral_record(
    *,
    actor: Any,
    participant: CaseParticipant,
    kind: str,
    to_whom: str,
    referred_on: date,
    outcome: str = "",
    request: HttpRequest | None = None,
) -> SupportReferral:
    """Record a referral of the victim to other support, in the advocacy compartment."""
    _advocacy_check(actor, participant)
    if kind not in SupportReferralKind.values:
        raise ValidationError({"kind": ["Choose the kind of support."]})
    if not to_whom.strip():
        raise ValidationError({"to_whom": ["Enter who the victim was referred to."]})
    with transaction.atomic():
        referral = SupportReferral.unscoped.create(
            case=participant.case,
            participant=participant,
            kind=kind,
            to_whom=to_whom.strip(),
            referred_on=referred_on,
            outcome=outcome.strip(),
            created_by=actor,
        )
        _audit(
            AuditAction.CREATE,
            actor=actor,
            obj=referral,
            participant=participant,
            fields=["kind", "to_whom", "referred_on", "outcome"],
            request=request,
        )
    return referral


# Victim-reported measures ---------------------------------------------------------------------


def victim_measure_record(
    *,
    actor: Any,
    participant: CaseParticipant,
    occasion: str,
    measured_on: date,
    safety: int,
    wellbeing: int,
    daily_impact: int,
    request: HttpRequest | None = None,
) -> VictimMeasure:
    """Record what the victim reported on the three 0-10 scales; a score outside 0-10 is refused."""
    require_case_action(actor, participant.case.unit_id, Compartment.TEAM, Action.CREATE)
    _require_victim(participant)
    errors: dict[str, list[str]] = {}
    if occasion not in MeasureOccasion.values:
        errors["occasion"] = ["Choose intake, review or closure."]
    for name, value in (("safety", safety), ("wellbeing", wellbeing), ("daily_impact", daily_impact)):
        if not 0 <= value <= 10:
            errors[name] = ["Enter a whole number from 0 to 10."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        measure = VictimMeasure.unscoped.create(
            case=participant.case,
            participant=participant,
            occasion=occasion,
            measured_on=measured_on,
            safety=safety,
            wellbeing=wellbeing,
            daily_impact=daily_impact,
            created_by=actor,
        )
        _audit(
            AuditAction.CREATE,
            actor=actor,
            obj=measure,
            participant=participant,
            fields=["occasion", "measured_on", "safety", "wellbeing", "daily_impact"],
            request=request,
        )
    return measure
