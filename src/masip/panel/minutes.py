"""The minutes of a meeting, built for one reader: the general version of every item the reader is
entitled to, "Item N: restricted" for the others, and an annex for each restricted compartment
their agency is entitled to (and, with an account, their roles may read).

The builder reads the meeting's record with the models' `unscoped` managers and decides
entitlement itself through `masip.panel.rules`; views and templates only ever receive what it
built. Victim contact details never appear: no compartment but team, police, health and
advocacy is read.

The same content renders as the HTML page, as the PDF (WeasyPrint, no external resource) and as
plain text, whose SHA-256 is kept when the minutes are approved.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.utils import timezone

from masip.access.policy import Action, Compartment
from masip.access.principal import principal_for
from masip.core.pdf import render_pdf
from masip.panel.models import (
    AgendaItem,
    Attendance,
    DeclarationOfInterest,
    DiscussionNote,
    ItemDecision,
    ItemReason,
    ItemStatus,
    Meeting,
    MeetingMember,
    Minutes,
    MinutesStatus,
    PanelAction,
)
from masip.panel.rules import (
    ANNEX_COMPARTMENTS,
    ANNEX_ENTITLEMENT,
    Quorum,
    annex_compartments,
    entitled_items,
    quorum_for,
)

DRAFT_MARKING = "DRAFT — not yet approved"
PROTECTIVE_MARKING = "OFFICIAL-SENSITIVE"
ANNEX_TITLES = {
    Compartment.POLICE: "Police annex",
    Compartment.HEALTH: "Health annex",
    Compartment.ADVOCACY: "Advocacy annex",
}
# Compartments a version of the minutes may carry: the team's in the body, the others in annexes.
_MINUTED = (Compartment.TEAM, *ANNEX_COMPARTMENTS)


# What the minutes say -------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberLine:
    name: str
    agency: str
    role_at_panel: str
    attendance: str


@dataclass(frozen=True)
class DeclarationLine:
    name: str
    item_position: int | None  # None: for the whole meeting
    withdrew: bool


@dataclass(frozen=True)
class DecisionLine:
    option: str
    detail: str


@dataclass(frozen=True)
class ActionLine:
    title: str
    owner: str
    agency: str
    due_on: date


@dataclass(frozen=True)
class ItemSection:
    position: int
    restricted: bool
    case_reference: str = ""
    reasons: tuple[str, ...] = ()
    status: str = ""
    notes: tuple[str, ...] = ()
    decisions: tuple[DecisionLine, ...] = ()
    actions: tuple[ActionLine, ...] = ()
    next_review_on: date | None = None


@dataclass(frozen=True)
class AnnexEntry:
    position: int
    case_reference: str
    notes: tuple[str, ...]


@dataclass(frozen=True)
class Annex:
    compartment: Compartment
    title: str
    entries: tuple[AnnexEntry, ...]


@dataclass(frozen=True)
class ApprovedLine:
    meeting_title: str
    meeting_starts_at: datetime


@dataclass(frozen=True)
class MinutesContent:
    """One version of the minutes, ready to render."""

    meeting_id: Any
    title: str
    starts_at: datetime
    ends_at: datetime
    location: str
    chair: str
    status: str  # MinutesStatus
    approved_at: datetime | None
    approved_by: str
    approved_at_meeting: ApprovedLine | None
    members: tuple[MemberLine, ...]
    apologies: tuple[str, ...]
    quorum: Quorum
    declarations: tuple[DeclarationLine, ...]
    approved_here: tuple[ApprovedLine, ...]
    items: tuple[ItemSection, ...]
    annexes: tuple[Annex, ...]
    marking: str = PROTECTIVE_MARKING

    @property
    def is_draft(self) -> bool:
        return self.status != MinutesStatus.APPROVED

    @property
    def draft_marking(self) -> str:
        return DRAFT_MARKING if self.is_draft else ""

    @property
    def annex_keys(self) -> list[str]:
        return [str(annex.compartment) for annex in self.annexes]


# Whom a version is for ------------------------------------------------------------------------


@dataclass(frozen=True)
class Audience:
    """The reader of one version: the ids of the items they are entitled to and the annexes."""

    entitled: frozenset[Any]
    annexes: tuple[Compartment, ...] = ()
    member: MeetingMember | None = None


@dataclass
class MeetingRecord:
    """Everything the meeting recorded, read once and shared by every version built from it."""

    meeting: Meeting
    minutes: Minutes | None
    members: list[MeetingMember]
    items: list[AgendaItem]
    declarations: list[DeclarationOfInterest]
    approved_here: list[Minutes]
    notes: dict[Any, list[DiscussionNote]] = field(default_factory=dict)
    decisions: dict[Any, list[ItemDecision]] = field(default_factory=dict)
    actions: dict[Any, list[PanelAction]] = field(default_factory=dict)


def _grouped(rows: Any) -> dict[Any, list[Any]]:
    grouped: dict[Any, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[row.item_id].append(row)
    return grouped


def record_for(meeting: Meeting) -> MeetingRecord:
    """Read what `meeting` recorded (eight queries, whatever the number of items)."""
    items = list(AgendaItem.unscoped.filter(meeting=meeting).select_related("case").order_by("position"))
    return MeetingRecord(
        meeting=meeting,
        minutes=Minutes.objects.filter(meeting=meeting).select_related("approved_by", "approved_at_meeting").first(),
        members=list(meeting.members.select_related("agency", "user").order_by("name")),
        items=items,
        declarations=list(
            DeclarationOfInterest.objects.filter(meeting=meeting)
            .select_related("member", "item")
            .order_by("member__name", "created_at")
        ),
        approved_here=list(
            Minutes.objects.filter(approved_at_meeting=meeting).select_related("meeting").order_by("meeting__starts_at")
        ),
        notes=_grouped(
            DiscussionNote.unscoped.filter(item__meeting=meeting, compartment__in=_MINUTED).order_by("created_at")
        ),
        decisions=_grouped(
            ItemDecision.unscoped.filter(item__meeting=meeting).select_related("option").order_by("created_at")
        ),
        actions=_grouped(
            PanelAction.unscoped.filter(item__meeting=meeting)
            .select_related("owner", "agency")
            .order_by("due_on", "created_at")
        ),
    )


def audience_for_member(record: MeetingRecord, member: MeetingMember) -> Audience:
    """A member's version: the items rules.entitled_items grants them, their agency's annexes."""
    return Audience(
        entitled=frozenset(entitled_items(member, record.items)),
        annexes=tuple(annex_compartments(member, record.meeting.unit_id)),
        member=member,
    )


def audience_for_user(record: MeetingRecord, user: Any) -> Audience:
    """The version a signed-in user reads: their member's version if they are a member; else (a
    chair who is not a member) the items visible to them, and the annexes their roles may read
    and their agency is entitled to."""
    own = next((m for m in record.members if m.user_id == user.pk), None)
    if own is not None:
        return audience_for_member(record, own)
    ids = [item.pk for item in record.items]
    visible = frozenset(AgendaItem.objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True))
    agency_kind = user.agency.kind if getattr(user, "agency", None) is not None else None
    entitled = ANNEX_ENTITLEMENT.get(agency_kind, frozenset()) if agency_kind else frozenset()
    readable = principal_for(user).compartments(record.meeting.unit_id, Action.VIEW)
    return Audience(entitled=visible, annexes=tuple(c for c in ANNEX_COMPARTMENTS if c in entitled and c in readable))


def general_audience(record: MeetingRecord) -> Audience:
    """The general version: what a member without an account and without annexes receives."""
    return Audience(entitled=frozenset(item.pk for item in record.items))


# Building ---------------------------------------------------------------------------------------


def _reason_label(value: str) -> str:
    return ItemReason(value).label if value in ItemReason.values else value


def _status_label(value: str) -> str:
    return ItemStatus(value).label if value in ItemStatus.values else value


def _notes(record: MeetingRecord, item: AgendaItem, compartment: Compartment) -> tuple[str, ...]:
    return tuple(note.text for note in record.notes.get(item.pk, []) if note.compartment == compartment)


def _item_section(record: MeetingRecord, item: AgendaItem, entitled: bool) -> ItemSection:
    if not entitled:
        return ItemSection(position=item.position, restricted=True)
    return ItemSection(
        position=item.position,
        restricted=False,
        case_reference=item.case.reference,
        reasons=tuple(_reason_label(r) for r in item.reasons or []),
        status=_status_label(item.status),
        notes=_notes(record, item, Compartment.TEAM),
        decisions=tuple(DecisionLine(d.option.label, d.detail) for d in record.decisions.get(item.pk, [])),
        actions=tuple(
            ActionLine(a.title, a.owner.get_full_name() or a.owner.email, a.agency.name, a.due_on)
            for a in record.actions.get(item.pk, [])
        ),
        next_review_on=item.next_review_on,
    )


def _annex(record: MeetingRecord, compartment: Compartment, entitled: frozenset[Any]) -> Annex:
    entries = []
    for item in record.items:
        if item.pk not in entitled:
            continue
        notes = _notes(record, item, compartment)
        if notes:
            entries.append(AnnexEntry(item.position, item.case.reference, notes))
    return Annex(compartment, ANNEX_TITLES[compartment], tuple(entries))


def _meeting_line(meeting: Meeting) -> ApprovedLine:
    return ApprovedLine(meeting.title, meeting.starts_at)


def content_for(record: MeetingRecord, audience: Audience) -> MinutesContent:
    """The version of the minutes `audience` receives."""
    meeting = record.meeting
    minutes = record.minutes
    approved = minutes is not None and minutes.status == MinutesStatus.APPROVED
    return MinutesContent(
        meeting_id=meeting.pk,
        title=meeting.title,
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        location=meeting.location,
        chair=meeting.chair.get_full_name() or meeting.chair.email,
        status=MinutesStatus.APPROVED if approved else MinutesStatus.DRAFT,
        approved_at=minutes.approved_at if approved and minutes else None,
        approved_by=(minutes.approved_by.get_full_name() if approved and minutes and minutes.approved_by else ""),
        approved_at_meeting=(
            _meeting_line(minutes.approved_at_meeting) if approved and minutes and minutes.approved_at_meeting else None
        ),
        members=tuple(
            MemberLine(m.name, m.agency.name, m.role_at_panel, Attendance(m.attendance).label) for m in record.members
        ),
        apologies=tuple(m.name for m in record.members if m.attendance == Attendance.APOLOGIES),
        quorum=quorum_for(meeting, record.members),
        declarations=tuple(
            DeclarationLine(d.member.name, d.item.position if d.item else None, d.withdrew) for d in record.declarations
        ),
        approved_here=tuple(_meeting_line(m.meeting) for m in record.approved_here),
        items=tuple(_item_section(record, item, item.pk in audience.entitled) for item in record.items),
        annexes=tuple(_annex(record, c, audience.entitled) for c in audience.annexes),
    )


# Rendering --------------------------------------------------------------------------------------


def _when(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%A %d %B %Y, %H:%M}"


def minutes_text(content: MinutesContent) -> str:
    """The minutes as plain text, in a fixed form: what the approval's SHA-256 is taken of. The
    draft or approved marking is left out, so the text approved is the text that stays."""
    ms = content.members
    lines = [
        f"{content.title}: minutes",
        f"Date: {_when(content.starts_at)} to {timezone.localtime(content.ends_at):%H:%M}",
        f"Place: {content.location or 'not recorded'}",
        f"Chair: {content.chair}",
        "Members:",
        *(f"- {m.name}, {m.agency}{', ' + m.role_at_panel if m.role_at_panel else ''}: {m.attendance}" for m in ms),
        f"Apologies: {', '.join(content.apologies) or 'none'}",
        f"Quorum: {'met' if content.quorum.met else 'not met (' + content.quorum.explain() + ')'}",
        "Declarations of interest:",
        *(
            f"- {d.name}: {'item ' + str(d.item_position) if d.item_position else 'the whole meeting'}"
            f"{', withdrew' if d.withdrew else ''}"
            for d in content.declarations
        ),
        "Minutes approved at this meeting:",
        *(f"- {a.meeting_title}, {_when(a.meeting_starts_at)}" for a in content.approved_here),
    ]
    for item in content.items:
        if item.restricted:
            lines.append(f"Item {item.position}: restricted")
            continue
        lines += [
            f"Item {item.position}: case {item.case_reference}",
            f"Reasons: {'; '.join(item.reasons)}",
            f"Status: {item.status}",
            *(f"Discussion: {note}" for note in item.notes),
            *(f"Decision: {d.option}{': ' + d.detail if d.detail else ''}" for d in item.decisions),
            *(f"Action: {a.title} (owner {a.owner}, {a.agency}, due {a.due_on:%d %B %Y})" for a in item.actions),
            f"Next review: {item.next_review_on:%d %B %Y}" if item.next_review_on else "Next review: not set",
        ]
    for annex in content.annexes:
        lines.append(annex.title)
        for entry in annex.entries:
            lines += [f"Item {entry.position}: case {entry.case_reference}", *entry.notes]
    return "\n".join(lines) + "\n"


def minutes_sha256(content: MinutesContent) -> str:
    return hashlib.sha256(minutes_text(content).encode()).hexdigest()


def minutes_pdf(content: MinutesContent) -> bytes:
    """The minutes as an A4 PDF with page numbers and the protective marking on every page.
    Raises PdfUnavailable when WeasyPrint cannot run on this server."""
    return render_pdf("panel/minutes/minutes_pdf.html", {"content": content})


def pdf_filename(content: MinutesContent) -> str:
    return f"panel-minutes-{timezone.localtime(content.starts_at):%Y-%m-%d}.pdf"
