"""Reads for the agenda pages: the list, and one agenda laid out with times of day."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet

from masip.accounts.models import Unit
from masip.training.builder import AUDIENCE_NAMES, duration
from masip.training.models import Agenda, AgendaItem, Topic, TopicKind

DEFAULT_START = dt.time(9, 30)


def agendas_of(unit: Unit) -> QuerySet[Agenda, Any]:
    return Agenda.objects.filter(unit=unit).annotate(item_count=Count("items")).order_by("-created_at")


@dataclass(frozen=True)
class Row:
    item: AgendaItem
    starts: dt.time
    ends: dt.time
    first: bool
    last: bool
    min_minutes: int
    max_minutes: int


@dataclass(frozen=True)
class AgendaLayout:
    agenda: Agenda
    rows: list[Row]
    total_minutes: int
    total: str
    slot: str
    spare: str
    audience: list[tuple[str, int]]
    left_out: list[Topic]
    starts: dt.time


def parse_start(raw: str | None) -> dt.time:
    """A start time from the query string ("09:30"); 09:30 when missing or not a time."""
    try:
        return dt.time.fromisoformat(raw) if raw else DEFAULT_START
    except ValueError:
        return DEFAULT_START


def agenda_layout(agenda: Agenda, *, starts: dt.time = DEFAULT_START) -> AgendaLayout:
    """The agenda's items in order with the time each starts and ends, the total against the
    slot, and the unit's active topics not on it (that could be added)."""
    items = list(agenda.items.select_related("topic").order_by("position"))
    clock = dt.datetime.combine(dt.date(2000, 1, 1), starts)
    rows = []
    for index, item in enumerate(items):
        ends = clock + dt.timedelta(minutes=item.minutes)
        low = item.topic.min_minutes if item.topic else 5
        high = item.topic.max_minutes if item.topic else 90
        rows.append(Row(item, clock.time(), ends.time(), index == 0, index == len(items) - 1, low, high))
        clock = ends
    total = sum(item.minutes for item in items)
    used = {item.topic_id for item in items if item.topic_id}
    left_out = list(
        Topic.objects.filter(unit_id=agenda.unit_id, active=True, kind=TopicKind.SELECTABLE)
        .exclude(pk__in=used)
        .order_by("sequence", "title")
    )
    return AgendaLayout(
        agenda=agenda,
        rows=rows,
        total_minutes=total,
        total=duration(total),
        slot=duration(agenda.slot_minutes),
        spare=duration(agenda.slot_minutes - total) if total < agenda.slot_minutes else "",
        audience=[(AUDIENCE_NAMES.get(k, k), int(v)) for k, v in agenda.audience.items() if isinstance(v, int)],
        left_out=left_out,
        starts=starts,
    )
