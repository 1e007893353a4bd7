"""The case overview: everything the case page shows at a glance, within the viewer's rights.

One query per section whatever the size of the case (the timeline and the exhibits are limited
in SQL, their totals counted in the same query), and the reads it audits are written together
when the page is served through `reads_audited_together`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Window
from django.http import HttpRequest

from masip.access.models import CaseTeamMember
from masip.access.policy import Action, Capability, Compartment
from masip.access.principal import principal_for
from masip.cases import selectors, services
from masip.cases.models import Case, CaseNote, CaseParticipant, CaseStatusChange, ParallelProcess, ProcessKind
from masip.evidence.models import EvidenceItem
from masip.evidence.selectors import (
    CASE_SECTION_LIMIT,
    evidence_compartments_offered,
    evidence_list_audit,
    evidence_recent_for,
)
from masip.work import selectors as work_selectors
from masip.work.models import Task

# How many entries the overview's timeline shows; the full list of notes is a page of its own.
TIMELINE_LIMIT = 20


@dataclass(frozen=True)
class TimelineEntry:
    """One entry of the recent timeline: a note or contact record, a status change or an exhibit added."""

    kind: str  # "note", "status" or "evidence"
    when: datetime
    note: CaseNote | None = None
    change: CaseStatusChange | None = None
    item: EvidenceItem | None = None


@dataclass(frozen=True)
class CaseOverview:
    case: Case
    team: list[CaseTeamMember]
    participants: list[CaseParticipant]
    contact_visible: bool
    processes: list[ParallelProcess]
    # Stalking Protection Orders still running (the orders the unit tracks until an orders register exists).
    orders: list[ParallelProcess]
    status_history: list[CaseStatusChange]
    timeline: list[TimelineEntry]
    notes_shown: int
    notes_total: int
    evidence: list[EvidenceItem]
    evidence_total: int
    may_upload: bool
    tasks: work_selectors.CaseTasks
    next_review: Task | None
    # The open re-assessment of risk (the case's risk level and last assessed day are on the case).
    next_reassessment: Task | None
    may_change_case: bool
    may_change_status: bool
    may_allocate: bool


def recent_notes_for(*, user: Any, case: Case, limit: int = TIMELINE_LIMIT) -> tuple[list[CaseNote], int]:
    """The `limit` newest notes and contact records the user may read, and how many they may
    read in all: one query. Each carries `may_edit` and `may_release` for the page's links."""
    notes: list[CaseNote] = list(
        selectors.case_notes_for(user=user, case=case)
        .annotate(visible_total=Window(Count("pk")))
        .order_by("-created_at", "-pk")[:limit]
    )
    selectors.notes_with_rights(user=user, case=case, notes=notes)
    total: int = getattr(notes[0], "visible_total", 0) if notes else 0
    return notes, total


def _timeline(notes: list[CaseNote], changes: list[CaseStatusChange], items: list[EvidenceItem]) -> list[TimelineEntry]:
    entries = [TimelineEntry("note", note.created_at, note=note) for note in notes]
    entries += [TimelineEntry("status", change.created_at, change=change) for change in changes]
    entries += [TimelineEntry("evidence", item.created_at, item=item) for item in items]
    entries.sort(key=lambda entry: entry.when, reverse=True)
    return entries[:TIMELINE_LIMIT]


def case_overview_for(*, user: Any, case: Case, request: HttpRequest | None = None) -> CaseOverview:
    """The case page's sections for `user`, on a case they have been allowed to see (its reading
    audited by `case_get_for`). Reading contact details and listing exhibits are audited here."""
    principal = principal_for(user)
    team = selectors.case_team_for(case=case)
    people = selectors.case_participants_for(user=user, case=case, request=request)
    processes = selectors.case_processes_for(case=case)
    history = selectors.case_status_history_for(case=case)
    notes, notes_total = recent_notes_for(user=user, case=case)
    items, evidence_total = evidence_recent_for(user=user, case=case, limit=TIMELINE_LIMIT)
    timeline = _timeline(notes, history, items)
    shown_items = {item.pk: item for item in items[:CASE_SECTION_LIMIT]}
    shown_items.update((entry.item.pk, entry.item) for entry in timeline if entry.item is not None)
    evidence_list_audit(user=user, case=case, items=list(shown_items.values()), request=request)
    tasks = work_selectors.case_tasks_for(user=user, case=case, team=team)
    return CaseOverview(
        case=case,
        team=team,
        participants=people.participants,
        contact_visible=people.contact_visible,
        processes=processes,
        orders=[p for p in processes if p.kind == ProcessKind.SPO and p.ended_on is None],
        status_history=history,
        timeline=timeline,
        notes_shown=sum(1 for entry in timeline if entry.note is not None),
        notes_total=notes_total,
        evidence=items[:CASE_SECTION_LIMIT],
        evidence_total=evidence_total,
        may_upload=bool(evidence_compartments_offered(user=user, case=case)),
        tasks=tasks,
        next_review=work_selectors.next_review(tasks),
        next_reassessment=work_selectors.next_reassessment(tasks),
        may_change_case=principal.may(case.unit_id, Compartment.TEAM, Action.CHANGE),
        may_change_status=services.may_change_status(actor=user, case=case, team=team),
        may_allocate=principal.can(Capability.ALLOCATE_CASES, unit_id=case.unit_id),
    )
