"""Writes of the minutes part: the minutes' draft, their distribution (each copy a disclosure in
the audit log), a reader's own PDF (an export), and their approval at a later meeting, which
locks what the meeting recorded. Each runs in one transaction with its audit events."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from masip.audit.models import AuditAction
from masip.audit.services import audit_record
from masip.core.mail import email_after_commit
from masip.panel.minutes import (
    MeetingRecord,
    MinutesContent,
    audience_for_member,
    audience_for_user,
    content_for,
    general_audience,
    minutes_pdf,
    minutes_sha256,
    record_for,
)
from masip.panel.models import Meeting, MeetingMember, MeetingStatus, Minutes, MinutesDistribution, MinutesStatus
from masip.panel.rules import ensure_quorate, may_chair

PURPOSE = "panel minutes"


def _require_chair(actor: Any, meeting: Meeting) -> None:
    if not may_chair(actor, meeting):
        raise PermissionDenied("Only a chair of the unit's panel can do this.")


def _when(meeting: Meeting) -> str:
    return f"{timezone.localtime(meeting.starts_at):%d %B %Y}"


def minutes_ensure(*, actor: Any, meeting: Meeting, request: HttpRequest | None = None) -> Minutes:
    """The meeting's minutes, their draft made (and audited) if the meeting closed without one.
    Refuses a meeting that was cancelled or has not closed yet."""
    _check_closed(meeting)
    with transaction.atomic():
        minutes, created = Minutes.objects.get_or_create(meeting=meeting)
        if created:
            audit_record(
                action=AuditAction.CREATE,
                actor=actor,
                request=request,
                unit=meeting.unit,
                obj=minutes,
                fields=["status"],
                detail={"meeting_id": str(meeting.pk)},
            )
    return minutes


@dataclass(frozen=True)
class MinutesCopy:
    """One reader's copy of the minutes as a PDF."""

    content: MinutesContent
    pdf: bytes
    sha256: str


def _copy(content: MinutesContent) -> MinutesCopy:
    pdf = minutes_pdf(content)
    return MinutesCopy(content=content, pdf=pdf, sha256=hashlib.sha256(pdf).hexdigest())


@dataclass(frozen=True)
class _Prepared:
    member: MeetingMember
    annexes: list[str]
    copy: MinutesCopy


def _prepare(record: MeetingRecord, member: MeetingMember) -> _Prepared:
    """Build a member's PDF before anything is written: rendering takes a moment, and a server
    that cannot render must leave no trace."""
    audience = audience_for_member(record, member)
    return _Prepared(member, [str(c) for c in audience.annexes], _copy(content_for(record, audience)))


def _disclose(
    *, actor: Any, minutes: Minutes, meeting: Meeting, prepared: _Prepared, request: HttpRequest | None
) -> MinutesDistribution:
    member = prepared.member
    distribution = MinutesDistribution.objects.create(
        minutes=minutes,
        member=member,
        annexes=prepared.annexes,
        minutes_status=minutes.status,
        sent_by=actor,
        sha256=prepared.copy.sha256,
    )
    # A disclosure to another controller: who, to whom, which annexes, why; no case data.
    audit_record(
        action=AuditAction.DISCLOSE,
        actor=actor,
        request=request,
        unit=meeting.unit,
        obj=distribution,
        detail={
            "meeting_id": str(meeting.pk),
            "member_id": member.pk,
            "agency": member.agency.name,
            "annexes": prepared.annexes,
            "minutes_status": minutes.status,
            "purpose": PURPOSE,
            "sha256": prepared.copy.sha256,
        },
    )
    return distribution


def _check_closed(meeting: Meeting) -> None:
    if meeting.status == MeetingStatus.CANCELLED:
        raise ValidationError("This meeting was cancelled, so it has no minutes.", code="cancelled")
    if meeting.status != MeetingStatus.CLOSED:
        raise ValidationError(
            "This meeting has not closed yet. The chair closes it at the end; its minutes can then be sent.",
            code="not_closed",
        )


def minutes_distribute(
    *,
    actor: Any,
    meeting: Meeting,
    members: Sequence[MeetingMember],
    request: HttpRequest | None = None,
) -> list[MinutesDistribution]:
    """Send the minutes to `members` of the closed meeting who have an account: each gets their
    own version built and recorded (a MinutesDistribution with the PDF's SHA-256, and one
    `disclose` event), and an email that only says the minutes are ready, with a link. Members
    without an account are refused here: the chair downloads their PDF (`minutes_disclose_pdf`).
    Raises PdfUnavailable, and writes nothing, when PDFs cannot be made on this server."""
    _require_chair(actor, meeting)
    _check_closed(meeting)
    if not members:
        raise ValidationError({"members": ["Choose at least one member to send the minutes to."]})
    if any(m.meeting_id != meeting.pk for m in members):
        raise ValidationError({"members": ["Choose members of this meeting only."]})
    without_account = [m.name for m in members if m.user_id is None]
    if without_account:
        raise ValidationError(
            {
                "members": [
                    f"{', '.join(without_account)} ha{'ve' if len(without_account) > 1 else 's'} no masip account: "
                    "download their PDF below and send it by secure email."
                ]
            }
        )
    record = record_for(meeting)
    by_id = {m.pk: m for m in record.members}
    prepared = [_prepare(record, by_id[m.pk]) for m in members]
    link_path = reverse("panel:minutes", kwargs={"meeting_id": meeting.pk})
    link = request.build_absolute_uri(link_path) if request is not None else link_path
    distributions = []
    emails = []
    with transaction.atomic():
        minutes = minutes_ensure(actor=actor, meeting=meeting, request=request)
        for one in prepared:
            distributions.append(
                _disclose(actor=actor, minutes=minutes, meeting=meeting, prepared=one, request=request)
            )
            user = one.member.user
            if user is not None and user.email:
                # The email leaves masip: the meeting's date and a link, never a case or a name.
                emails.append(
                    (
                        f"Panel minutes ready: meeting of {_when(meeting)}",
                        f"The minutes of the panel meeting of {_when(meeting)} are ready for you to read in "
                        f"masip: {link}\n",
                        [user.email],
                    )
                )
        email_after_commit(emails)
    return distributions


def minutes_disclose_pdf(
    *, actor: Any, meeting: Meeting, member: MeetingMember, request: HttpRequest | None = None
) -> MinutesCopy:
    """The PDF of a member without an account, for the chair to send by secure email: recorded as
    a distribution and a `disclose` event as it is made. Raises PdfUnavailable, writing nothing,
    when PDFs cannot be made on this server."""
    _require_chair(actor, meeting)
    _check_closed(meeting)
    if member.meeting_id != meeting.pk or member.user_id is not None:
        raise ValidationError("Download a PDF here only for a member of this meeting who has no masip account.")
    record = record_for(meeting)
    prepared = _prepare(record, next(m for m in record.members if m.pk == member.pk))
    with transaction.atomic():
        minutes = minutes_ensure(actor=actor, meeting=meeting, request=request)
        _disclose(actor=actor, minutes=minutes, meeting=meeting, prepared=prepared, request=request)
    return prepared.copy


def minutes_export_own(*, actor: Any, meeting: Meeting, request: HttpRequest | None = None) -> MinutesCopy:
    """The reader's own version as a PDF, audited as an `export` (which annexes, the SHA-256; no
    case data). The caller has checked the reader may see the meeting. Raises PdfUnavailable,
    writing nothing, when PDFs cannot be made on this server."""
    record = record_for(meeting)
    audience = audience_for_user(record, actor)
    copy = _copy(content_for(record, audience))
    with transaction.atomic():
        audit_record(
            action=AuditAction.EXPORT,
            actor=actor,
            request=request,
            unit=meeting.unit,
            obj=meeting,
            detail={
                "meeting_id": str(meeting.pk),
                "member_id": audience.member.pk if audience.member else None,
                "annexes": [str(c) for c in audience.annexes],
                "minutes_status": copy.content.status,
                "purpose": PURPOSE,
                "sha256": copy.sha256,
                "items_shown": len(audience.entitled),
            },
        )
    return copy


def _refuse_if_approved(minutes: Minutes | None) -> None:
    if minutes is not None and minutes.status == MinutesStatus.APPROVED:
        approved = f" on {timezone.localtime(minutes.approved_at):%d %B %Y}" if minutes.approved_at else ""
        raise ValidationError(
            f"These minutes were already approved{approved} and are locked: there is nothing more to approve.",
            code="already_approved",
        )


def minutes_approve(
    *, actor: Any, meeting: Meeting, at_meeting: Meeting, request: HttpRequest | None = None
) -> Minutes:
    """Approve `meeting`'s minutes at `at_meeting`, a later meeting of the same unit that is in
    progress and quorate. Keeps the SHA-256 of the general version's text; from then on nothing
    recorded at `meeting` can change (rules.ensure_editable refuses). Minutes already approved,
    or any other condition unmet, are refused with ValidationError and nothing is written."""
    _require_chair(actor, meeting)
    _refuse_if_approved(Minutes.objects.filter(meeting=meeting).first())
    if at_meeting.unit_id != meeting.unit_id:
        raise ValidationError(
            {"at_meeting": ["Minutes are approved at a meeting of the same unit's panel."]}, code="other_unit"
        )
    if at_meeting.pk == meeting.pk:
        raise ValidationError(
            {"at_meeting": ["Minutes cannot be approved at the meeting they record: approve them at a later meeting."]},
            code="same_meeting",
        )
    if at_meeting.starts_at <= meeting.starts_at:
        raise ValidationError(
            {
                "at_meeting": [
                    f"The meeting of {_when(at_meeting)} was held before the one these minutes record: approve "
                    "them at a later meeting."
                ]
            },
            code="earlier_meeting",
        )
    if meeting.status != MeetingStatus.CLOSED:
        raise ValidationError(
            "This meeting has not closed yet: close it first; its minutes are approved at the next meeting.",
            code="not_closed",
        )
    if at_meeting.status != MeetingStatus.IN_PROGRESS:
        raise ValidationError(
            {
                "at_meeting": [
                    f"The meeting of {_when(at_meeting)} is not in progress. Minutes are approved while the panel "
                    "sits: open that meeting and record who attended first."
                ]
            },
            code="not_in_progress",
        )
    try:
        ensure_quorate(at_meeting)
    except ValidationError as error:
        raise ValidationError({"at_meeting": error.messages}, code="not_quorate") from None
    with transaction.atomic():
        minutes = minutes_ensure(actor=actor, meeting=meeting, request=request)
        minutes = Minutes.objects.select_for_update().get(pk=minutes.pk)
        _refuse_if_approved(minutes)
        record = record_for(meeting)
        minutes.status = MinutesStatus.APPROVED
        minutes.approved_at = timezone.now()
        minutes.approved_by = actor
        minutes.approved_at_meeting = at_meeting
        # The general version's text: the status marking is not part of it, so it is the same
        # text read before and after approval.
        minutes.approved_sha256 = minutes_sha256(content_for(record, general_audience(record)))
        minutes.version += 1
        minutes.save()
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            request=request,
            unit=meeting.unit,
            obj=minutes,
            fields=["status", "approved_at", "approved_by", "approved_at_meeting", "approved_sha256"],
            detail={
                "meeting_id": str(meeting.pk),
                "approved_at_meeting_id": str(at_meeting.pk),
                "sha256": minutes.approved_sha256,
            },
        )
    # The cached relation must see the lock at once (rules.ensure_editable reads meeting.minutes).
    meeting.minutes = minutes
    return minutes
