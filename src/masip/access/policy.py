"""The one access policy of masip, as tables.

Two tables decide everything a person may do:

* COMPARTMENT_POLICY: role x compartment -> actions on case data in that compartment.
  A person sees a case only as a member of its case team (or, for a unit manager, of its
  unit); within a visible case, this table decides which compartments they may read or write.
* CAPABILITY_POLICY: role x capability -> allowed, for things that are not case data
  (managing accounts, reading the audit log, aggregate reports, the training package).

Views, selectors and the API ask `allows()` / `has_capability()`; nothing re-implements these
tables. A role, compartment, action or capability the tables do not name is refused: the
lookups raise for unknown names (fail closed) and answer False for absent entries.
docs/security-model.md prints these tables; a test keeps the two in step.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from django.db import models

from masip.accounts.models import Role


class Compartment(models.TextChoices):
    TEAM = "team", "Case team"
    POLICE = "police", "Police only"
    HEALTH = "health", "Clinical (health) only"
    ADVOCACY = "advocacy", "Advocacy (victim confidences)"
    VICTIM_CONTACT = "victim_contact", "Victim location and contact details"


class Action(models.TextChoices):
    VIEW = "view", "View"
    CREATE = "create", "Create"
    CHANGE = "change", "Change"
    EXPORT = "export", "Export"
    DISCLOSE = "disclose", "Disclose outside the unit"


class Capability(models.TextChoices):
    """Things a role may do that are not reading or writing a case's compartments."""

    WORK_CASES = "work_cases", "Work on cases as a case-team member"
    OVERSEE_UNIT_CASELOAD = "oversee_unit_caseload", "See every case of the unit without break-glass"
    BREAK_GLASS = "break_glass", "Open a case outside own caseload, with a reason"
    ALLOCATE_CASES = "allocate_cases", "Allocate case teams"
    SUBMIT_REFERRALS = "submit_referrals", "Submit referrals and follow their status"
    TRIAGE_REFERRALS = "triage_referrals", "Screen and triage referrals"
    MANAGE_MEMBERS = "manage_members", "Invite, suspend and change the roles of the unit's members"
    MANAGE_ACCOUNTS = "manage_accounts", "Suspend whole accounts and grant the system administrator role"
    MANAGE_API_TOKENS = "manage_api_tokens", "Issue and revoke API tokens for systems"
    VIEW_AUDIT = "view_audit", "Read the unit's audit log"
    VIEW_AGGREGATES = "view_aggregates", "Read aggregate reports (no identities)"
    MANAGE_TRAINING = "manage_training", "Run the training package"
    MANAGE_INSTRUMENTS = "manage_instruments", "Load and withdraw the unit's risk instruments"
    CHAIR_PANEL = "chair_panel", "Schedule and chair panel meetings, build agendas, approve and send minutes"
    ATTEND_PANEL = "attend_panel", "Attend the panel meetings one is a member of and read their minutes"


V, C, CH, E, D = Action.VIEW, Action.CREATE, Action.CHANGE, Action.EXPORT, Action.DISCLOSE
ALL = frozenset({V, C, CH, E, D})
NONE: frozenset[Action] = frozenset()

COMPARTMENT_POLICY: Final[dict[Role, dict[Compartment, frozenset[Action]]]] = {
    Role.UNIT_MANAGER: {
        Compartment.TEAM: ALL,
        Compartment.POLICE: frozenset({V}),
        Compartment.HEALTH: NONE,
        Compartment.ADVOCACY: NONE,
        Compartment.VICTIM_CONTACT: frozenset({V}),
    },
    Role.POLICE_INVESTIGATOR: {
        # Disclosing team material outside the unit is the officer's part: exhibits to the CPS.
        Compartment.TEAM: ALL,
        Compartment.POLICE: ALL,
        Compartment.HEALTH: NONE,
        Compartment.ADVOCACY: NONE,
        Compartment.VICTIM_CONTACT: frozenset({V, C, CH}),
    },
    Role.CLINICIAN: {
        Compartment.TEAM: frozenset({V, C, CH}),
        Compartment.POLICE: NONE,
        Compartment.HEALTH: ALL,
        Compartment.ADVOCACY: NONE,
        Compartment.VICTIM_CONTACT: NONE,
    },
    Role.OUTREACH_WORKER: {
        Compartment.TEAM: frozenset({V, C, CH}),
        Compartment.POLICE: NONE,
        Compartment.HEALTH: NONE,
        Compartment.ADVOCACY: frozenset({V, C}),
        Compartment.VICTIM_CONTACT: frozenset({V, C, CH}),
    },
    Role.STALKING_ADVOCATE: {
        Compartment.TEAM: frozenset({V, C, CH}),
        Compartment.POLICE: NONE,
        Compartment.HEALTH: NONE,
        Compartment.ADVOCACY: ALL,
        Compartment.VICTIM_CONTACT: frozenset({V, C, CH}),
    },
    Role.SUPPORT_OFFICER: {
        Compartment.TEAM: frozenset({V, C}),
        Compartment.POLICE: NONE,
        Compartment.HEALTH: NONE,
        Compartment.ADVOCACY: NONE,
        Compartment.VICTIM_CONTACT: NONE,
    },
    # Partner referrers see the status of their own referrals (referrals app), no case file.
    Role.PARTNER_REFERRER: dict.fromkeys(Compartment, NONE),
    Role.ANALYST: dict.fromkeys(Compartment, NONE),
    Role.TRAINER: dict.fromkeys(Compartment, NONE),
    Role.SYSTEM_ADMINISTRATOR: dict.fromkeys(Compartment, NONE),
}

CAPABILITY_POLICY: Final[dict[Role, frozenset[Capability]]] = {
    Role.UNIT_MANAGER: frozenset(
        {
            Capability.WORK_CASES,
            Capability.OVERSEE_UNIT_CASELOAD,
            Capability.ALLOCATE_CASES,
            Capability.SUBMIT_REFERRALS,
            Capability.TRIAGE_REFERRALS,
            Capability.MANAGE_MEMBERS,
            Capability.VIEW_AUDIT,
            Capability.VIEW_AGGREGATES,
            Capability.MANAGE_TRAINING,
            Capability.MANAGE_INSTRUMENTS,
            Capability.CHAIR_PANEL,
            Capability.ATTEND_PANEL,
        }
    ),
    Role.POLICE_INVESTIGATOR: frozenset(
        {
            Capability.WORK_CASES,
            Capability.BREAK_GLASS,
            Capability.SUBMIT_REFERRALS,
            Capability.TRIAGE_REFERRALS,
            Capability.ATTEND_PANEL,
        }
    ),
    Role.CLINICIAN: frozenset(
        {
            Capability.WORK_CASES,
            Capability.BREAK_GLASS,
            Capability.SUBMIT_REFERRALS,
            Capability.TRIAGE_REFERRALS,
            Capability.ATTEND_PANEL,
        }
    ),
    Role.OUTREACH_WORKER: frozenset(
        {Capability.WORK_CASES, Capability.BREAK_GLASS, Capability.SUBMIT_REFERRALS, Capability.ATTEND_PANEL}
    ),
    Role.STALKING_ADVOCATE: frozenset(
        {Capability.WORK_CASES, Capability.BREAK_GLASS, Capability.SUBMIT_REFERRALS, Capability.ATTEND_PANEL}
    ),
    # The support officer often takes the panel's minutes.
    Role.SUPPORT_OFFICER: frozenset({Capability.WORK_CASES, Capability.SUBMIT_REFERRALS, Capability.ATTEND_PANEL}),
    # A partner agency's member of the panel (probation, housing) attends with this role; they see
    # the items of cases they are not on as restricted.
    Role.PARTNER_REFERRER: frozenset({Capability.SUBMIT_REFERRALS, Capability.ATTEND_PANEL}),
    Role.ANALYST: frozenset({Capability.VIEW_AGGREGATES}),
    Role.TRAINER: frozenset({Capability.MANAGE_TRAINING}),
    Role.SYSTEM_ADMINISTRATOR: frozenset(
        {Capability.MANAGE_MEMBERS, Capability.MANAGE_ACCOUNTS, Capability.MANAGE_API_TOKENS}
    ),
}


class PolicyError(LookupError):
    """A name the policy does not know was asked about: refuse, and fix the caller."""


def _role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError as exc:
        raise PolicyError(f"Unknown role {role!r}") from exc


def allows(role: str, compartment: str, action: str) -> bool:
    """May `role` perform `action` on case data in `compartment` (within a case it can see)?"""
    try:
        comp, act = Compartment(compartment), Action(action)
    except ValueError as exc:
        raise PolicyError(f"Unknown compartment or action: {compartment!r}, {action!r}") from exc
    return act in COMPARTMENT_POLICY[_role(role)][comp]


def has_capability(role: str, capability: str) -> bool:
    try:
        cap = Capability(capability)
    except ValueError as exc:
        raise PolicyError(f"Unknown capability {capability!r}") from exc
    return cap in CAPABILITY_POLICY[_role(role)]


def compartments_allowing(roles: Iterable[str], action: str) -> set[Compartment]:
    """Every compartment in which any of `roles` may perform `action`."""
    return {comp for role in roles for comp in Compartment if allows(role, comp, action)}


def roles_with_capability(capability: str) -> set[Role]:
    return {role for role in Role if has_capability(role, capability)}
