"""Reads of the minutes part. A meeting is reached through `Meeting.objects.visible_to(user)`;
the minutes' content is built by masip.panel.minutes, which decides entitlement itself, and the
items a reader is shown are audited."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest

from masip.access.lookup import get_visible_or_404
from masip.audit.models import AuditAction
from masip.audit.services import audit_record
from masip.panel.minutes import MinutesContent, audience_for_user, content_for, record_for
from masip.panel.models import Meeting, MeetingMember, MeetingStatus, Minutes, MinutesDistribution, MinutesStatus
from masip.panel.rules import may_chair


def meeting_get_for(*, user: Any, meeting_id: Any, request: HttpRequest | None = None) -> Meeting:
    """The meeting if `user` may see it, else the same 404 as for a meeting that does not exist."""
    queryset = Meeting.objects.visible_to(user).select_related("unit", "chair")
    return get_visible_or_404(queryset, meeting_id, user=user, request=request)


@dataclass(frozen=True)
class MinutesPage:
    meeting: Meeting
    minutes: Minutes | None
    content: MinutesContent
    may_chair: bool


def minutes_page_for(*, user: Any, meeting: Meeting, request: HttpRequest | None = None) -> MinutesPage:
    """The viewer's version of the minutes; each item whose content it shows is audited as read
    (the case, and the annexes shown)."""
    record = record_for(meeting)
    audience = audience_for_user(record, user)
    content = content_for(record, audience)
    annexes = [str(c) for c in audience.annexes]
    for item in record.items:
        if item.pk in audience.entitled:
            audit_record(
                action=AuditAction.VIEW,
                actor=user,
                request=request,
                unit=meeting.unit,
                obj=item,
                case_id=item.case_id,
                fields=["notes", "decisions", "actions", *(f"annex_{c}" for c in annexes)],
                detail={"meeting_id": str(meeting.pk), "purpose": "panel minutes"},
            )
    return MinutesPage(meeting=meeting, minutes=record.minutes, content=content, may_chair=may_chair(user, meeting))


def minutes_awaiting_approval(meeting: Meeting) -> QuerySet[Meeting]:
    """Earlier closed meetings of `meeting`'s unit whose minutes are still a draft (or not yet
    made), oldest first: what the chair may ask the panel to approve at `meeting`."""
    return (
        Meeting.objects.filter(unit_id=meeting.unit_id, status=MeetingStatus.CLOSED, starts_at__lt=meeting.starts_at)
        .filter(Q(minutes__isnull=True) | Q(minutes__status=MinutesStatus.DRAFT))
        .order_by("starts_at")
    )


def approving_meetings_for(*, user: Any, meeting: Meeting) -> QuerySet[Meeting]:
    """Meetings of the unit in progress, where the chair may put `meeting`'s minutes for approval
    (the service refuses the same or an earlier meeting, and one without a quorum)."""
    return (
        Meeting.objects.visible_to(user)
        .filter(unit_id=meeting.unit_id, status=MeetingStatus.IN_PROGRESS)
        .order_by("starts_at")
    )


@dataclass(frozen=True)
class DistributionPage:
    meeting: Meeting
    minutes: Minutes | None
    with_account: list[MeetingMember]
    without_account: list[MeetingMember]
    distributions: list[MinutesDistribution]


def distribution_page_for(*, meeting: Meeting) -> DistributionPage:
    """The members minutes can be sent to (those with an account get an email; the chair
    downloads a PDF for the others) and the distributions made so far. Names no case."""
    members = list(meeting.members.select_related("agency").order_by("name"))
    minutes = Minutes.objects.filter(meeting=meeting).first()
    distributions = (
        list(minutes.distributions.select_related("member", "member__agency", "sent_by").order_by("-created_at"))
        if minutes
        else []
    )
    return DistributionPage(
        meeting=meeting,
        minutes=minutes,
        with_account=[m for m in members if m.user_id is not None],
        without_account=[m for m in members if m.user_id is None],
        distributions=distributions,
    )


def member_without_account_or_404(
    *, user: Any, meeting: Meeting, member_id: Any, request: HttpRequest | None = None
) -> MeetingMember:
    """A member of `meeting` without an account, by id (anything else: the same 404)."""
    queryset = meeting.members.filter(user__isnull=True).select_related("agency")
    return get_visible_or_404(queryset, member_id, user=user, request=request)
