"""Reads of panel meetings the pages share. Meetings are not case data: they are scoped with
`Meeting.objects.visible_to(user)` (chairs see their unit's, others the ones they are members
of), and fetching one by a URL id gives the same 404 for missing and not visible."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone

from masip.access.lookup import NOT_FOUND_MESSAGE, get_visible_or_404
from masip.access.policy import Capability
from masip.access.principal import principal_for
from masip.accounts.models import Unit
from masip.panel.models import (
    AgendaItem,
    CalendarFeed,
    DeclarationOfInterest,
    Meeting,
    MeetingMember,
    MeetingStatus,
    PanelSchedule,
)
from masip.panel.rules import Quorum, quorum_for

FEED_PAST = timedelta(days=90)
FEED_AHEAD = timedelta(days=400)


def chaired_units(*, user: Any) -> list[Unit]:
    """The units where the user chairs panels, by name."""
    return list(Unit.objects.filter(pk__in=principal_for(user).units_with(Capability.CHAIR_PANEL)).order_by("name"))


def meetings_for(*, user: Any) -> QuerySet[Meeting]:
    """The meetings the user may see, each marked with whether they are one of its members."""
    mine = MeetingMember.objects.filter(meeting_id=OuterRef("pk"), user_id=user.pk)
    return (
        Meeting.objects.visible_to(user)
        .annotate(is_member=Exists(mine))
        .select_related("unit", "chair")
        .defer("call_details")
    )


@dataclass(frozen=True)
class MeetingLists:
    upcoming: list[Meeting]
    past: list[Meeting]


def meeting_lists_for(*, user: Any, past_limit: int = 50) -> MeetingLists:
    """Upcoming meetings (soonest first, not yet ended or still open) and the latest past ones."""
    now = timezone.now()
    visible = meetings_for(user=user)
    current = Q(ends_at__gte=now) | Q(status=MeetingStatus.IN_PROGRESS)
    upcoming = list(visible.filter(current).order_by("starts_at"))
    past = list(visible.exclude(current).order_by("-starts_at")[:past_limit])
    return MeetingLists(upcoming=upcoming, past=past)


def meeting_get_for(*, user: Any, meeting_id: Any, request: HttpRequest | None = None) -> Meeting:
    """One meeting the user may see (the same 404 for missing and not visible)."""
    return get_visible_or_404(
        Meeting.objects.visible_to(user).select_related("unit", "chair", "minutes"),
        meeting_id,
        user=user,
        request=request,
    )


def meeting_get_for_chair(*, user: Any, meeting_id: Any, request: HttpRequest | None = None) -> Meeting:
    """One meeting of a unit where the user chairs panels; another unit's is the same 404."""
    units = principal_for(user).units_with(Capability.CHAIR_PANEL)
    return get_visible_or_404(
        Meeting.objects.visible_to(user).filter(unit_id__in=units).select_related("unit", "chair", "minutes"),
        meeting_id,
        user=user,
        request=request,
    )


def schedule_get_for_chair(*, user: Any, schedule_id: Any, request: HttpRequest | None = None) -> PanelSchedule:
    units = principal_for(user).units_with(Capability.CHAIR_PANEL)
    return get_visible_or_404(
        PanelSchedule.objects.filter(unit_id__in=units).select_related("unit", "chair"),
        schedule_id,
        user=user,
        request=request,
    )


def schedules_for(*, user: Any) -> list[PanelSchedule]:
    units = principal_for(user).units_with(Capability.CHAIR_PANEL)
    return list(
        PanelSchedule.objects.filter(unit_id__in=units)
        .select_related("unit", "chair")
        .prefetch_related("members")
        .defer("call_details")
        .order_by("unit__name", "title")
    )


def members_of(meeting: Meeting) -> list[MeetingMember]:
    return list(meeting.members.select_related("agency").order_by("name"))


@dataclass(frozen=True)
class MeetingPage:
    meeting: Meeting
    members: list[MeetingMember]
    quorum: Quorum
    declarations: list[DeclarationOfInterest]
    visible_items: dict[Any, AgendaItem]
    me: MeetingMember | None
    chairing: bool


def meeting_page(*, user: Any, meeting: Meeting) -> MeetingPage:
    """What the meeting page shows: members with agency and attendance, the quorum, the
    declarations (an item named only when the viewer may see it), and the viewer's own place."""
    members = members_of(meeting)
    declarations = list(
        DeclarationOfInterest.objects.filter(meeting=meeting)
        .select_related("member__agency", "recorded_by")
        .order_by("created_at")
    )
    item_ids = {d.item_id for d in declarations if d.item_id}
    visible_items = (
        {i.pk: i for i in AgendaItem.objects.visible_to(user).filter(meeting=meeting, pk__in=item_ids)}
        if item_ids
        else {}
    )
    for declaration in declarations:
        shown = visible_items.get(declaration.item_id)
        declaration.item_label = (  # type: ignore[attr-defined]
            "the whole meeting"
            if declaration.item_id is None
            else f"item {shown.position}"
            if shown is not None
            else "an item of the agenda"
        )
    me = next((m for m in members if m.user_id == user.pk), None)
    return MeetingPage(
        meeting=meeting,
        members=members,
        quorum=quorum_for(meeting, members),
        declarations=declarations,
        visible_items=visible_items,
        me=me,
        chairing=principal_for(user).can(Capability.CHAIR_PANEL, meeting.unit_id),
    )


def declarable_items(*, user: Any, meeting: Meeting) -> list[AgendaItem]:
    """The meeting's agenda items the user may see, in order (for a declaration on one item)."""
    return list(AgendaItem.objects.visible_to(user).filter(meeting=meeting).order_by("position"))


def calendar_feed_of(*, user: Any) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(user=user).first()


def calendar_feed_by_token(token_hash: str) -> CalendarFeed:
    """The feed whose token hashes to `token_hash`, with its user; an unknown one is a 404."""
    feed = CalendarFeed.objects.select_related("user").filter(token_hash=token_hash).first()
    if feed is None:
        raise Http404(NOT_FOUND_MESSAGE)
    return feed


def feed_meetings(*, user: Any) -> list[Meeting]:
    """The meetings for the user's calendar: those they are a member of or chair, that they may
    still see (none once their panel roles have ended), from 90 days ago to 400 days ahead."""
    now = timezone.now()
    return list(
        Meeting.objects.visible_to(user)
        .filter(Q(members__user=user) | Q(chair=user))
        .filter(starts_at__gte=now - FEED_PAST, starts_at__lte=now + FEED_AHEAD)
        .distinct()
        .only("id", "title", "starts_at", "ends_at", "location", "status", "updated_at", "created_at")
        .order_by("starts_at")
    )


def meeting_members_eligible(*, meeting: Meeting) -> list[Any]:
    """People of the meeting's unit with a panel role who are not yet members."""
    from masip.panel.services_meetings import panel_users

    taken = set(meeting.members.filter(user__isnull=False).values_list("user_id", flat=True))
    return [u for u in panel_users(unit_id=meeting.unit_id) if u.pk not in taken]
