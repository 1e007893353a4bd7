"""Reads of victim safety and support that the pages share: scoped with visible_to, and audited
(each page's consultation of a victim's safety records is one `view` row per kind of record)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from masip.access.lookup import get_visible_or_404
from masip.access.policy import Action, Compartment
from masip.access.principal import principal_for
from masip.audit.models import AuditAction
from masip.audit.services import audit_listing, audit_record
from masip.cases.models import Case, CaseParticipant, ParticipantRole
from masip.interventions.models_safety import (
    AdvocacyContact,
    NeedsAssessment,
    SafeContactPreference,
    SafetyPlan,
    SafetyPlanVersion,
    SupportReferral,
    VictimMeasure,
)
from masip.people.models import Person


def victim_get_for(
    *, user: Any, case: Case, participant_id: Any, request: HttpRequest | None = None
) -> CaseParticipant:
    """A current victim of `case` the user may see (name and role only; contact details not
    loaded). Anyone else, or a malformed id: the same audited 404."""
    victims = (
        CaseParticipant.objects.visible_to(user)
        .filter(case=case, role=ParticipantRole.VICTIM, ended_at__isnull=True)
        .select_related("person", "case__unit")
        .defer(*(f"person__{name}" for name in Person.CONTACT_FIELDS))
    )
    return get_visible_or_404(victims, participant_id, user=user, request=request)


def may(user: Any, case: Case, compartment: str, action: str = Action.VIEW) -> bool:
    return principal_for(user).may(case.unit_id, compartment, action)


def _viewed(
    user: Any, participant: CaseParticipant, obj: Any, fields: list[str], request: HttpRequest | None, unit: Any = None
) -> None:
    audit_record(
        action=AuditAction.VIEW,
        actor=user,
        request=request,
        unit=unit or participant.case.unit,
        obj=obj,
        case_id=participant.case_id,
        person_id=participant.person_id,
        fields=fields,
    )


@dataclass(frozen=True)
class PlanOverview:
    plan: SafetyPlan | None
    current: SafetyPlanVersion | None
    earlier: list[SafetyPlanVersion]


def safety_plan_for(*, user: Any, participant: CaseParticipant, request: HttpRequest | None = None) -> PlanOverview:
    """The victim's current plan version with its actions, and the earlier versions (numbers and
    dates only). Reading the current version is audited."""
    plan = SafetyPlan.objects.visible_to(user).filter(participant=participant).first()
    if plan is None:
        return PlanOverview(plan=None, current=None, earlier=[])
    versions = list(
        SafetyPlanVersion.objects.visible_to(user).filter(plan=plan).select_related("created_by").order_by("-number")
    )
    current = next((v for v in versions if v.number == plan.version), None)
    if current is not None:
        _attach_actions(current)
        _viewed(user, participant, current, ["risks", "review_on", "actions"], request)
    return PlanOverview(plan=plan, current=current, earlier=[v for v in versions if v is not current])


def _attach_actions(version: SafetyPlanVersion) -> None:
    version.action_rows = list(version.actions.select_related("owner").order_by("position"))  # type: ignore[attr-defined]


def safety_plan_version_get_for(
    *, user: Any, participant: CaseParticipant, number: int, request: HttpRequest | None = None
) -> SafetyPlanVersion:
    """One saved version of the victim's plan by its number, with its actions; audited read."""
    versions = SafetyPlanVersion.objects.visible_to(user).filter(plan__participant=participant, number=number)
    # A number that names no version gets the same audited 404 as an id that names nothing.
    found = versions.values_list("pk", flat=True).first()
    version = get_visible_or_404(
        versions.select_related("created_by"), found or f"version {number}", user=user, request=request
    )
    _attach_actions(version)
    _viewed(user, participant, version, ["risks", "review_on", "actions"], request)
    return version


def safe_contact_for(
    *, user: Any, participant: CaseParticipant, request: HttpRequest | None = None
) -> SafeContactPreference | None:
    """The victim's safe contact preferences. The safe word and trusted third party are loaded
    (and their reading audited) only for roles that may view victim contact details."""
    restricted = may(user, participant.case, Compartment.VICTIM_CONTACT)
    prefs = SafeContactPreference.objects.visible_to(user).filter(participant=participant)
    if not restricted:
        prefs = prefs.defer(*SafeContactPreference.RESTRICTED_FIELDS)
    found = prefs.first()
    if found is not None:
        fields = ["safe_channels", "safe_times", "no_voicemail"]
        if restricted:
            fields += [name for name in SafeContactPreference.RESTRICTED_FIELDS if getattr(found, name)]
        _viewed(user, participant, found, fields, request)
    return found


@dataclass(frozen=True)
class CaseSafetySection:
    victims: list[CaseParticipant]
    contact_visible: bool


def case_safety_section(
    *, user: Any, case: Case, request: HttpRequest | None = None, participants: list[CaseParticipant] | None = None
) -> CaseSafetySection:
    """For the case page, in one query: the current victims (name only, each linking to their
    safety page) with their safe contact preferences as `victim.prefs`, for the banner shown to
    those who may view victim contact details. For anyone else the preferences are not loaded.
    Each banner shown is an audited read."""
    contact_visible = may(user, case, Compartment.VICTIM_CONTACT)
    if participants is not None:  # the case page's own read (cases.selectors.case_participants_for)
        current = [p for p in participants if p.role == ParticipantRole.VICTIM and p.ended_at is None]
        return _section(user, case, current, contact_visible, request)
    victims = (
        CaseParticipant.objects.visible_to(user)
        .filter(case=case, role=ParticipantRole.VICTIM, ended_at__isnull=True)
        .select_related("person", "case__unit")
        .defer(*(f"person__{name}" for name in Person.CONTACT_FIELDS))
        .order_by("person__family_name", "person__given_name")
    )
    if contact_visible:
        victims = victims.select_related("safe_contact")
    return _section(user, case, list(victims), contact_visible, request)


def _section(
    user: Any, case: Case, shown: list[CaseParticipant], contact_visible: bool, request: HttpRequest | None
) -> CaseSafetySection:
    for victim in shown:
        prefs = getattr(victim, "safe_contact", None) if contact_visible else None
        victim.prefs = prefs  # type: ignore[attr-defined]
        if prefs is not None:
            fields = ["safe_channels", "safe_times", "no_voicemail"]
            fields += [name for name in SafeContactPreference.RESTRICTED_FIELDS if getattr(prefs, name)]
            _viewed(user, victim, prefs, fields, request, unit=case.unit)
    return CaseSafetySection(victims=shown, contact_visible=contact_visible)


@dataclass(frozen=True)
class AdvocacyLog:
    contacts: list[AdvocacyContact]
    needs: list[NeedsAssessment]
    referrals: list[SupportReferral]


def advocacy_log_for(*, user: Any, participant: CaseParticipant, request: HttpRequest | None = None) -> AdvocacyLog:
    """The victim's advocacy log, empty for anyone outside the advocacy compartment (the
    compartment filter of visible_to decides); each list's reading is audited."""
    log = AdvocacyLog(
        contacts=list(AdvocacyContact.objects.visible_to(user).filter(participant=participant)),
        needs=list(NeedsAssessment.objects.visible_to(user).filter(participant=participant)),
        referrals=list(SupportReferral.objects.visible_to(user).filter(participant=participant)),
    )
    for rows, fields in (
        (log.contacts, ["contact_on", "channel", "summary"]),
        (log.needs, ["assessed_on", "needs", "notes"]),
        (log.referrals, ["kind", "to_whom", "referred_on", "outcome"]),
    ):
        if rows:
            audit_listing(
                actor=user,
                object_type=rows[0]._meta.label_lower,
                ids=(row.pk for row in rows),
                unit=participant.case.unit,
                case_id=participant.case_id,
                fields=fields,
                request=request,
            )
    return log


def victim_measures_for(
    *, user: Any, participant: CaseParticipant, request: HttpRequest | None = None
) -> list[VictimMeasure]:
    """The victim's reported measures, oldest first, for the table over time."""
    measures = list(
        VictimMeasure.objects.visible_to(user).filter(participant=participant).order_by("measured_on", "created_at")
    )
    audit_listing(
        actor=user,
        object_type=VictimMeasure._meta.label_lower,
        ids=(m.pk for m in measures),
        unit=participant.case.unit,
        case_id=participant.case_id,
        fields=["occasion", "measured_on", "safety", "wellbeing", "daily_impact"],
        request=request,
    )
    return measures


def case_team_users_for(*, case: Case) -> list[Any]:
    """The current case team's users, to own safety plan actions (the case is already visible)."""
    from masip.cases.selectors import case_team_for

    return [member.user for member in case_team_for(case=case)]
