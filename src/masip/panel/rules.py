"""The panel's rules that every part of it shares: who sees a meeting, when a meeting may be
recorded in, the quorum, and which members are entitled to an item and to which annexes.

Services call these before writing; views and minutes call them before showing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from masip.access.policy import Action, Capability, Compartment
from masip.access.principal import principal_for
from masip.accounts.models import AgencyKind
from masip.panel.models import (
    AgendaItem,
    Attendance,
    DeclarationOfInterest,
    Meeting,
    MeetingMember,
    MeetingStatus,
    Minutes,
    MinutesStatus,
    PanelSettings,
)

# Which restricted compartment's annex a member's agency is entitled to. The team compartment is
# the general version of the minutes; victim contact details never appear in minutes.
ANNEX_ENTITLEMENT: dict[str, frozenset[Compartment]] = {
    AgencyKind.POLICE: frozenset({Compartment.POLICE}),
    AgencyKind.NHS: frozenset({Compartment.HEALTH}),
    AgencyKind.ADVOCACY: frozenset({Compartment.ADVOCACY}),
}
ANNEX_COMPARTMENTS = (Compartment.POLICE, Compartment.HEALTH, Compartment.ADVOCACY)


def meeting_visibility(user: Any) -> Q:
    """Meetings of units where the user chairs panels, and those they are a member of where they
    attend panels."""
    principal = principal_for(user)
    if principal.is_anonymous or principal.user_id is None:
        return Q(pk__in=[])
    q = Q(unit_id__in=principal.units_with(Capability.CHAIR_PANEL))
    attending = principal.units_with(Capability.ATTEND_PANEL)
    if attending:
        member = MeetingMember.objects.filter(meeting_id=OuterRef("pk"), user_id=principal.user_id)
        q |= Q(Exists(member), unit_id__in=attending)
    return q


def may_chair(user: Any, meeting: Meeting) -> bool:
    return principal_for(user).can(Capability.CHAIR_PANEL, meeting.unit_id)


def is_locked(meeting: Meeting) -> bool:
    minutes: Minutes | None = getattr(meeting, "minutes", None) if _has_minutes(meeting) else None
    return minutes is not None and minutes.status == MinutesStatus.APPROVED


def _has_minutes(meeting: Meeting) -> bool:
    try:
        meeting.minutes  # noqa: B018
    except Minutes.DoesNotExist:
        return False
    return True


def ensure_editable(meeting: Meeting) -> None:
    """Refuse any change to what a meeting recorded once its minutes are approved."""
    if is_locked(meeting):
        approved = meeting.minutes.approved_at
        when = f" on {timezone.localtime(approved):%d %B %Y}" if approved else ""
        raise ValidationError(
            f"The minutes of this meeting were approved{when} and are locked: nothing recorded at it can "
            "change now. Record the correction at the next meeting, where it will be minuted.",
            code="minutes_locked",
        )


def ensure_recording(meeting: Meeting) -> None:
    """Discussion, decisions and actions are recorded in a meeting that has been opened (or has
    closed, while its minutes are drafted) and whose minutes are not yet approved."""
    ensure_editable(meeting)
    if meeting.status == MeetingStatus.CANCELLED:
        raise ValidationError("This meeting was cancelled: nothing can be recorded at it.", code="cancelled")
    if meeting.status == MeetingStatus.SCHEDULED:
        raise ValidationError(
            "This meeting has not been opened yet. The chair opens it and records who attended first.",
            code="not_open",
        )


@dataclass(frozen=True)
class Quorum:
    met: bool
    attending: int
    agencies: int
    police_present: bool
    shortfalls: list[str] = field(default_factory=list)

    def explain(self) -> str:
        return "; ".join(self.shortfalls)


def quorum_settings(unit_id: int) -> PanelSettings:
    return PanelSettings.objects.filter(unit_id=unit_id).first() or PanelSettings(unit_id=unit_id)


def quorum_for(meeting: Meeting, members: list[MeetingMember] | None = None) -> Quorum:
    """Whether the members recorded as attending make a quorum under the unit's settings."""
    settings = quorum_settings(meeting.unit_id)
    if members is None:
        members = list(meeting.members.select_related("agency"))
    present = [m for m in members if m.attendance == Attendance.ATTENDED]
    agencies = {m.agency_id for m in present}
    police = any(m.agency.kind == AgencyKind.POLICE for m in present)
    shortfalls = []
    if len(present) < settings.quorum_members:
        shortfalls.append(f"{len(present)} member(s) attending, {settings.quorum_members} needed")
    if len(agencies) < settings.quorum_agencies:
        shortfalls.append(f"{len(agencies)} agency(ies) attending, {settings.quorum_agencies} needed")
    if settings.quorum_requires_police and not police:
        shortfalls.append("no police member attending")
    return Quorum(
        met=not shortfalls, attending=len(present), agencies=len(agencies), police_present=police, shortfalls=shortfalls
    )


def ensure_quorate(meeting: Meeting) -> None:
    """A meeting without a quorum cannot decide: refuse with what is missing."""
    quorum = quorum_for(meeting)
    if not quorum.met:
        raise ValidationError(
            f"The panel is not quorate ({quorum.explain()}), so it cannot decide. Record the attendance "
            "of the members present, or defer the item to the next meeting.",
            code="not_quorate",
        )


def withdrawn_items(member: MeetingMember) -> set[Any]:
    """Items the member declared an interest in and left the room for."""
    return set(
        DeclarationOfInterest.objects.filter(member=member, withdrew=True, item__isnull=False).values_list(
            "item_id", flat=True
        )
    )


def entitled_items(member: MeetingMember, items: list[AgendaItem]) -> set[Any]:
    """Ids of the `items` whose content `member` may receive: for a member with an account, the
    cases visible to them; a member without an account is entitled as a panel member. Either way,
    not the items they withdrew from."""
    withdrawn = withdrawn_items(member)
    if member.user_id is not None:
        visible = set(
            AgendaItem.objects.visible_to(member.user).filter(pk__in=[i.pk for i in items]).values_list("pk", flat=True)
        )
    else:
        visible = {i.pk for i in items}
    return visible - withdrawn


def annex_compartments(member: MeetingMember, unit_id: int) -> list[Compartment]:
    """The restricted compartments whose annex the member's agency is entitled to (and, for a
    member with an account, that their roles in the unit may read)."""
    entitled = ANNEX_ENTITLEMENT.get(member.agency.kind, frozenset())
    if member.user_id is not None:
        readable = principal_for(member.user).compartments(unit_id, Action.VIEW)
        entitled = frozenset(c for c in entitled if c in readable)
    return [c for c in ANNEX_COMPARTMENTS if c in entitled]
