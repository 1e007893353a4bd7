"""Reads of cases that views and the API share. All of them are scoped with visible_to.

Reads that show case data to a person write their audit row here (Data Protection Act 2018
Part 3 s.62 asks for a log of every consultation), so a view cannot show data and forget it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest
from django.utils import timezone

from masip.access.lookup import NOT_FOUND_MESSAGE, get_visible_or_404
from masip.access.managers import compartment_visibility
from masip.access.models import BreakGlassGrant, CaseTeamMember
from masip.access.policy import Action, Capability, Compartment, allows
from masip.access.principal import principal_for
from masip.accounts.models import Agency, Membership, Role, User
from masip.audit.models import AuditAction
from masip.audit.services import audit_listings_by_unit, audit_record
from masip.cases.models import (
    PRINCIPAL_ROLES,
    Case,
    CaseNote,
    CaseNoteRevision,
    CaseParticipant,
    CaseStatusChange,
    ParallelProcess,
)
from masip.cases.services import UNIT_ROLES_FOR_CASE_ROLE, case_note_may_edit, open_cases_for, repeat_case_for
from masip.people.matching import Candidate
from masip.people.models import Person

# The order compartments are shown in on a case page: the shared team notes first.
COMPARTMENT_ORDER: tuple[Compartment, ...] = (
    Compartment.TEAM,
    Compartment.POLICE,
    Compartment.HEALTH,
    Compartment.ADVOCACY,
    Compartment.VICTIM_CONTACT,
)


class BreakGlassRequired(Exception):
    """The case exists in the user's unit, outside their caseload, and they may break glass."""

    def __init__(self, case_id: uuid.UUID) -> None:
        super().__init__("break-glass required")
        self.case_id = case_id


def case_list_for(*, user: Any, status: str = "") -> QuerySet[Case]:
    """The cases the user may see, newest first, optionally of one status."""
    cases = Case.objects.visible_to(user).select_related("unit", "lead_agency")
    if status:
        cases = cases.filter(status=status)
    return cases


def case_list_audit(*, user: Any, cases: Iterable[Case], request: HttpRequest | None = None) -> None:
    """Record which cases one page of a list showed: one row per unit on the page, not one per
    case, each in its own unit's log (a unit's log never names another unit's cases)."""
    audit_listings_by_unit(
        actor=user,
        object_type=Case._meta.label_lower,
        rows=((case.unit, str(case.pk)) for case in cases),
        request=request,
    )


def _counted(rows: QuerySet[Any]) -> Coalesce:
    """How many `rows` there are (rows correlated to the outer case), as a subquery."""
    return Coalesce(Subquery(rows.order_by().values("case").annotate(n=Count("pk")).values("n")), 0)


def _at_a_glance(user: Any, cases: QuerySet[Case]) -> QuerySet[Case]:
    """Each case with what every page of it shows at a glance, read with the case itself rather
    than by queries of their own: `open_red_flags` (open alerts the user may read) and
    `latest_red_flag` (the newest one's title); `vcop_open` and `vcop_overdue` (Victims' Code
    updates still to give, a regular one from its day, and those past their day);
    `orders_in_force` and `next_order_ends` (the orders the user may read that are granted or in
    force, and the soonest end)."""
    from masip.interventions.models_legal import ACTIVE_ORDER_STATUSES, Order
    from masip.interventions.models_vcop import VcopUpdateDue, VcopUpdateKind, VcopUpdateStatus
    from masip.timeline.models import AlertStatus, RedFlagAlert

    today = timezone.localdate()
    readable = compartment_visibility(user, "case", "compartment")
    orders = Order.unscoped.filter(readable, case=OuterRef("pk"), status__in=ACTIVE_ORDER_STATUSES).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=today)
    )
    flags = RedFlagAlert.unscoped.filter(readable, case=OuterRef("pk"), status=AlertStatus.OPEN)
    # A regular update (at the agreed frequency) is always open; it is to give only once its day comes.
    updates = VcopUpdateDue.unscoped.filter(readable, case=OuterRef("pk"), status=VcopUpdateStatus.OPEN).filter(
        Q(kind=VcopUpdateKind.EVENT) | Q(due_on__lte=today)
    )
    return cases.annotate(
        open_red_flags=_counted(flags),
        latest_red_flag=Subquery(flags.order_by("-occurred_on", "-created_at").values("title")[:1]),
        vcop_open=_counted(updates),
        vcop_overdue=_counted(updates.filter(due_on__lt=today)),
        orders_in_force=_counted(orders),
        next_order_ends=Subquery(orders.exclude(ends_on=None).order_by("ends_on").values("ends_on")[:1]),
    )


def case_get_for(*, user: Any, case_id: Any, request: HttpRequest | None = None) -> Case:
    """One case the user may see, its reading audited; otherwise Http404 (audited as refused).

    A case of a unit where the user holds the break-glass capability, but outside their
    caseload, raises BreakGlassRequired instead, so the view can ask for a reason.
    """
    visible = _at_a_glance(user, Case.objects.visible_to(user).select_related("unit", "lead_agency", "repeat_of"))
    try:
        wanted: uuid.UUID | None = uuid.UUID(str(case_id))
    except ValueError:
        wanted = None
    case = visible.filter(pk=wanted).first() if wanted is not None else None
    if case is None:
        glass_units = principal_for(user).units_with(Capability.BREAK_GLASS)
        if wanted is not None and glass_units and Case.unscoped.filter(pk=wanted, unit_id__in=glass_units).exists():
            raise BreakGlassRequired(wanted)
        case = get_visible_or_404(visible, case_id, user=user, request=request)
    audit_record(action=AuditAction.VIEW, actor=user, request=request, unit=case.unit, obj=case, case_id=case.pk)
    return case


def case_get_without_break_glass(*, user: Any, case_id: Any, request: HttpRequest | None = None) -> Case:
    """Like case_get_for, but a case outside the caseload is the same 404 as any other.

    For the API: breaking glass is a reasoned act of a person on the web, never something a
    system or script does in passing. The refusal is audited.
    """
    try:
        return case_get_for(user=user, case_id=case_id, request=request)
    except BreakGlassRequired as outside:
        audit_record(
            action=AuditAction.DENIED,
            actor=user,
            request=request,
            object_type=Case._meta.label_lower,
            object_id=outside.case_id,
            case_id=outside.case_id,
            detail={"reason": "outside caseload; break-glass is only available on the web"},
        )
        raise Http404(NOT_FOUND_MESSAGE) from None


def case_for_break_glass(*, user: Any, case_id: Any, request: HttpRequest | None = None) -> Case:
    """The case a break-glass request is about, if it is in a unit where the user may break glass.

    Any other id (another unit's case, a missing or malformed id) is the same audited 404 as
    `get_visible_or_404`, so the break-glass page cannot be used to probe for case ids.
    """
    glass_units = principal_for(user).units_with(Capability.BREAK_GLASS)
    # Deliberately wider than visible_to: this is the one read that reaches past the caseload,
    # limited to the user's break-glass units, and it discloses only the case reference.
    candidates = Case.unscoped.filter(unit_id__in=glass_units).select_related("unit")
    return get_visible_or_404(candidates, case_id, user=user, request=request)


def case_is_open_to(*, user: Any, case: Case) -> bool:
    """Whether the user can already see the case (team, live grant or unit oversight)."""
    return Case.objects.visible_to(user).filter(pk=case.pk).exists()


def case_notes_for(*, user: Any, case: Case) -> QuerySet[CaseNote]:
    """The case's notes and contact records in compartments the user may view.

    A contact record names the person it was with, never their contact details: those columns
    are not even loaded, whoever is reading (the People section is where entitled roles see them).
    """
    return (
        CaseNote.objects.visible_to(user, Action.VIEW)
        .filter(case=case)
        .select_related("created_by", "updated_by", "contact_by", "contact_with__person")
        .defer(*(f"contact_with__person__{name}" for name in Person.CONTACT_FIELDS))
    )


@dataclass(frozen=True)
class NoteGroup:
    compartment: Compartment
    notes: list[CaseNote]


def notes_with_rights(*, user: Any, case: Case, notes: list[CaseNote]) -> list[CaseNote]:
    """`notes` of `case`, each marked with `may_edit` and `may_release` for the page's links (no query)."""
    may_release = principal_for(user).may(case.unit_id, Compartment.HEALTH, Action.CREATE)
    for note in notes:
        note.case = case  # the case is already loaded: editing rights need its unit, not a query per note
        note.may_edit = case_note_may_edit(actor=user, note=note)  # type: ignore[attr-defined]
        note.may_release = (  # type: ignore[attr-defined]
            may_release and note.compartment == Compartment.HEALTH and not note.is_released_summary
        )
    return notes


def case_notes_grouped_for(*, user: Any, case: Case) -> list[NoteGroup]:
    """The notes the user may view, grouped by compartment in a fixed order; empty groups left out."""
    by_compartment: dict[str, list[CaseNote]] = {}
    for note in notes_with_rights(user=user, case=case, notes=list(case_notes_for(user=user, case=case))):
        by_compartment.setdefault(note.compartment, []).append(note)
    return [NoteGroup(c, by_compartment[c.value]) for c in COMPARTMENT_ORDER if c.value in by_compartment]


def note_compartments_offered(*, user: Any, case: Case) -> list[Compartment]:
    """The compartments the user's roles in the case's unit allow them to write a note in."""
    allowed = principal_for(user).compartments(case.unit_id, Action.CREATE)
    return [c for c in COMPARTMENT_ORDER if c.value in allowed]


def victim_contact_visible(*, user: Any, case: Case) -> bool:
    return principal_for(user).may(case.unit_id, Compartment.VICTIM_CONTACT, Action.VIEW)


def roles_seeing_victim_contact() -> list[str]:
    """The labels of the roles the policy lets see victim contact details, for the page that hides them."""
    return [str(role.label) for role in Role if allows(role, Compartment.VICTIM_CONTACT, Action.VIEW)]


@dataclass(frozen=True)
class CaseParticipants:
    participants: list[CaseParticipant]
    contact_visible: bool


def case_participants_for(*, user: Any, case: Case, request: HttpRequest | None = None) -> CaseParticipants:
    """The people on the case; their contact details only for roles allowed to see them.

    Without that permission the encrypted contact columns are not even loaded, so their
    plaintext never exists in this process. With it, each person whose details are shown gets
    an audit row naming the fields read.
    """
    contact_visible = victim_contact_visible(user=user, case=case)
    participants = CaseParticipant.objects.visible_to(user).filter(case=case).select_related("person")
    if not contact_visible:
        participants = participants.defer(*(f"person__{name}" for name in Person.CONTACT_FIELDS))
    else:
        # A victim's safe contact preferences go with their contact details (the case page's banner).
        participants = participants.select_related("safe_contact")
    shown = list(participants.order_by("role", "person__family_name", "person__given_name"))
    if contact_visible:
        for participant in shown:
            person = participant.person
            if any(getattr(person, name) for name in Person.CONTACT_FIELDS):
                audit_record(
                    action=AuditAction.VIEW,
                    actor=user,
                    request=request,
                    unit=case.unit,
                    obj=person,
                    case_id=case.pk,
                    person_id=person.pk,
                    fields=Person.CONTACT_FIELDS,
                )
    return CaseParticipants(shown, contact_visible)


def case_team_for(*, case: Case) -> list[CaseTeamMember]:
    """The case's current team, for a case the caller has already been allowed to see."""
    return list(CaseTeamMember.objects.active().filter(case=case).select_related("user").order_by("since"))


def break_glass_grants_to_review(*, user: Any) -> QuerySet[BreakGlassGrant]:
    """Unreviewed break-glass grants on cases of the units the user oversees, oldest first."""
    units = principal_for(user).units_with(Capability.OVERSEE_UNIT_CASELOAD)
    return (
        BreakGlassGrant.objects.filter(case__unit_id__in=units, reviewed_at__isnull=True)
        .select_related("case", "case__unit", "user")
        .order_by("since")
    )


def break_glass_grant_for_review(*, user: Any, grant_id: Any, request: HttpRequest | None = None) -> BreakGlassGrant:
    """One grant on a case of a unit the user oversees (reviewed or not), else the audited 404."""
    units = principal_for(user).units_with(Capability.OVERSEE_UNIT_CASELOAD)
    grants = BreakGlassGrant.objects.filter(case__unit_id__in=units).select_related("case", "case__unit", "user")
    return get_visible_or_404(grants, grant_id, user=user, request=request)


def break_glass_review_list_audit(
    *, user: Any, grants: Sequence[BreakGlassGrant], request: HttpRequest | None = None
) -> None:
    """Reasons can carry case detail, so showing the review list is a consultation too."""
    audit_listings_by_unit(
        actor=user,
        object_type=BreakGlassGrant._meta.label_lower,
        rows=((grant.case.unit, str(grant.pk)) for grant in grants),
        request=request,
    )


def case_note_get_for(*, user: Any, case: Case, note_id: Any, request: HttpRequest | None = None) -> CaseNote:
    """One note or contact record of `case` in a compartment the user may view; a note of
    another case or unit, a missing or a malformed id is the same audited 404."""
    notes = (
        CaseNote.objects.visible_to(user, Action.VIEW)
        .filter(case=case)
        .select_related("created_by", "updated_by", "contact_by", "contact_with__person")
        .defer(*(f"contact_with__person__{name}" for name in Person.CONTACT_FIELDS))
    )
    note = get_visible_or_404(notes, note_id, user=user, request=request)
    note.case = case
    return note


def case_note_revisions_for(*, user: Any, note: CaseNote, request: HttpRequest | None = None) -> list[CaseNoteRevision]:
    """The earlier versions of a note the user may read, newest first; reading them is audited."""
    revisions = list(
        CaseNoteRevision.objects.visible_to(user, Action.VIEW)
        .filter(note=note)
        .select_related("created_by", "replaced_by", "contact_by", "contact_with__person")
        .defer(*(f"contact_with__person__{name}" for name in Person.CONTACT_FIELDS))
    )
    if revisions:
        audit_record(
            action=AuditAction.VIEW,
            actor=user,
            request=request,
            unit=note.case.unit,
            obj=note,
            case_id=note.case.pk,
            fields=["revisions"],
            detail={"versions": [revision.version for revision in revisions]},
        )
    return revisions


def case_team_choices_for(*, case: Case, actor: Any) -> list[Any]:
    """Who can be named as having made a contact: the current case team, and the actor."""
    users = [member.user for member in case_team_for(case=case)]
    if all(user.pk != actor.pk for user in users):
        users.insert(0, actor)
    return users


def case_participants_named_for(*, user: Any, case: Case) -> list[CaseParticipant]:
    """The people on the case by name and role only (contact details not loaded), for choosing
    whom a contact was with."""
    return list(
        CaseParticipant.objects.visible_to(user)
        .filter(case=case)
        .select_related("person")
        .defer(*(f"person__{name}" for name in Person.CONTACT_FIELDS))
        .order_by("role", "person__family_name", "person__given_name")
    )


# Status workflow, team, participants and parallel processes --------------------------------


def case_status_history_for(*, case: Case) -> list[CaseStatusChange]:
    """Every status change of a case the caller may see, newest first."""
    return list(CaseStatusChange.unscoped.filter(case=case).select_related("created_by").order_by("-created_at"))


def case_team_history_for(*, case: Case) -> list[CaseTeamMember]:
    """Everyone who has been on the case's team, current members first, with the dates they left."""
    members = CaseTeamMember.objects.filter(case=case).select_related("user", "granted_by")
    return sorted(members, key=lambda m: (m.until is not None, m.since))


def case_processes_for(*, case: Case) -> list[ParallelProcess]:
    """The processes run beside a case the caller may see, current ones first."""
    return sorted(ParallelProcess.unscoped.filter(case=case), key=lambda p: (p.ended_on is not None, p.started_on))


def case_for_allocation(*, user: Any, case_id: Any, request: HttpRequest | None = None) -> Case:
    """A case of a unit whose teams the user allocates, its reading audited; else the audited 404."""
    units = principal_for(user).units_with(Capability.ALLOCATE_CASES)
    case = get_visible_or_404(
        Case.unscoped.filter(unit_id__in=units).select_related("unit", "lead_agency"),
        case_id,
        user=user,
        request=request,
    )
    audit_record(action=AuditAction.VIEW, actor=user, request=request, unit=case.unit, obj=case, case_id=case.pk)
    return case


def team_member_for(*, user: Any, case: Case, member_id: Any, request: HttpRequest | None = None) -> CaseTeamMember:
    """One team membership of `case` (already allowed to the user), else the audited 404."""
    members = CaseTeamMember.objects.filter(case=case).select_related("user", "case", "case__unit")
    return get_visible_or_404(members, member_id, user=user, request=request)


@dataclass(frozen=True)
class Allocatable:
    user: User
    roles: list[str]

    @property
    def label(self) -> str:
        return f"{self.user} ({', '.join(self.roles)})"


def allocatable_members(*, case: Case) -> list[Allocatable]:
    """The unit's active members who could join the case team, with their unit roles."""
    fitting = {role for roles in UNIT_ROLES_FOR_CASE_ROLE.values() for role in roles}
    by_user: dict[int, Allocatable] = {}
    memberships = (
        Membership.objects.active()
        .filter(unit_id=case.unit_id, role__in=fitting)
        .select_related("user")
        .order_by("user__full_name", "user__email")
    )
    for membership in memberships:
        entry = by_user.setdefault(membership.user_id, Allocatable(membership.user, []))
        entry.roles.append(str(membership.get_role_display()))
    return list(by_user.values())


def agencies_for_lead() -> list[Agency]:
    return list(Agency.objects.order_by("name"))


def participant_for(
    *, user: Any, case: Case, participant_id: Any, request: HttpRequest | None = None
) -> CaseParticipant:
    """One participation in `case`, scoped to the user; else the audited 404."""
    participants = CaseParticipant.objects.visible_to(user).filter(case=case).select_related("person", "case__unit")
    return get_visible_or_404(participants, participant_id, user=user, request=request)


def process_for(*, user: Any, case: Case, process_id: Any, request: HttpRequest | None = None) -> ParallelProcess:
    """One parallel process of `case`, scoped to the user; else the audited 404."""
    processes = ParallelProcess.objects.visible_to(user).filter(case=case).select_related("case__unit")
    return get_visible_or_404(processes, process_id, user=user, request=request)


def people_to_add(
    *, user: Any, case: Case, given_name: str, family_name: str, request: HttpRequest | None = None
) -> list[Candidate]:
    """People of the case's unit who may be the person named, for adding to the case.

    A minimal preview (name, date of birth or age, why proposed), never contact details; the
    search itself is audited with the ids it listed, since it reaches beyond the caseload.
    """
    from masip.people.matching import PersonDetails, person_candidates

    found = person_candidates(
        unit=case.unit, details=PersonDetails(given_name=given_name, family_name=family_name), limit=10
    )
    audit_record(
        action=AuditAction.VIEW,
        actor=user,
        request=request,
        unit=case.unit,
        object_type=Person._meta.label_lower,
        case_id=case.pk,
        detail={"search": "add participant", "listed": [str(c.person.pk) for c in found]},
    )
    return found


def person_to_add(*, user: Any, case: Case, person_id: Any, request: HttpRequest | None = None) -> Person:
    """A person of the case's unit chosen from `people_to_add`; else the audited 404."""
    return get_visible_or_404(
        Person.unscoped.filter(unit_id=case.unit_id).defer(*Person.CONTACT_FIELDS),
        person_id,
        user=user,
        request=request,
    )


@dataclass(frozen=True)
class CaseLink:
    """A case of the unit that a referral's person already takes part in."""

    case: Case
    people: list[str]


@dataclass(frozen=True)
class TriageCaseLinks:
    open_cases: list[CaseLink]
    repeat_of: CaseLink | None


def _link(case: Case, person_ids: set[Any]) -> CaseLink:
    names = sorted(
        {
            f"{p.person.display_name} ({p.get_role_display().lower()})"
            for p in CaseParticipant.unscoped.filter(case=case, person_id__in=person_ids, role__in=PRINCIPAL_ROLES)
            .select_related("person")
            .only("role", "person__given_name", "person__family_name")
        }
    )
    return CaseLink(case, names)


def triage_case_links(*, user: Any, referral: Any, request: HttpRequest | None = None) -> TriageCaseLinks:
    """For a screener deciding `referral`: the unit's open cases its linked victims or
    perpetrators take part in (a further referral attaches there), and the case closed within
    the last 12 months it would repeat. Only case references and the people's names already on
    the referral are shown; the listing is audited."""
    from masip.referrals.models import ReferralSubject

    person_ids = set(
        ReferralSubject.unscoped.filter(referral=referral, person__isnull=False).values_list("person_id", flat=True)
    )
    open_cases = [_link(c, person_ids) for c in open_cases_for(unit_id=referral.unit_id, person_ids=person_ids)]
    repeat = repeat_case_for(unit_id=referral.unit_id, person_ids=person_ids)
    links = TriageCaseLinks(open_cases, _link(repeat, person_ids) if repeat else None)
    listed = [str(link.case.pk) for link in [*links.open_cases, *([links.repeat_of] if links.repeat_of else [])]]
    if listed:
        audit_record(
            action=AuditAction.VIEW,
            actor=user,
            request=request,
            unit=referral.unit,
            object_type=Case._meta.label_lower,
            detail={"listed": listed, "for_referral": referral.reference},
        )
    return links


def attachable_case_for(*, user: Any, referral: Any, case_id: Any, request: HttpRequest | None = None) -> Case:
    """The open case a screener chose to attach `referral` to, among those offered; else the audited 404."""
    from masip.referrals.models import ReferralSubject

    person_ids = set(
        ReferralSubject.unscoped.filter(referral=referral, person__isnull=False).values_list("person_id", flat=True)
    )
    offered = [c.pk for c in open_cases_for(unit_id=referral.unit_id, person_ids=person_ids)]
    return get_visible_or_404(
        Case.unscoped.filter(pk__in=offered).select_related("unit"), case_id, user=user, request=request
    )
