"""The agenda builder: a pure function from a catalogue, an audience mix and a slot to a proposed
agenda and the reasons for it. No database: the service turns the unit's topics into `TopicSpec`
values and saves what comes back.

How a topic is valued (documented for trainers in docs/training.md):

    value(topic) = sum over audience types a of  share(a) x weight(relevance(a)) x 3 ** (5 - priority(a))

where share(a) is a's part of the audience (its count over everyone's), weight is core 3,
relevant 2, background 1, not relevant 0, and priority runs 1 (highest) to 5, so priority 1 is
worth 81, 2 worth 27, 3 worth 9, 4 worth 3 and 5 worth 1. A topic is thus worth 0 to 243: 243
when it is core and priority 1 for everyone in the room, 0 when nobody in the room finds it
relevant. Each step of priority triples the worth, so one topic a step higher outweighs two
shorter ones a step lower: the trainer's ranking, not how many short topics can be packed in,
decides. The builder chooses the set of selectable topics, each at its minimum
length, that has the greatest total value and fits in the time the opening items and breaks
leave (an exact 0/1 knapsack by dynamic programming over minutes). Ties go to the set that uses
fewer minutes, then to the one whose topics come earlier in the catalogue's sequence. Spare time
then stretches the chosen topics toward their maximum length, the most valuable first, and then
the opening items. Topics nobody chosen can present, and topics of no value to this audience,
are never chosen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations_with_replacement, pairwise

OPENING = "opening"
SELECTABLE = "selectable"
HALF_DAY = "half_day"
FULL_DAY = "full_day"

AUDIENCE_NAMES: dict[str, str] = {"managers": "managers", "spocs": "SPOCs", "front_line": "front-line staff"}
RELEVANCE_WEIGHT: dict[str, int] = {"core": 3, "relevant": 2, "background": 1, "not_relevant": 0}
LOWEST_PRIORITY = 5


class AgendaDoesNotFit(ValueError):
    """The opening items and breaks alone need more than the slot."""


@dataclass(frozen=True)
class TopicSpec:
    """One catalogue item as the builder sees it. `audiences` maps an audience type to its
    (relevance, priority); a type missing from it counts as not relevant."""

    key: str
    title: str
    kind: str
    min_minutes: int
    max_minutes: int
    sequence: int = 100
    format: str = "presentation"
    audiences: Mapping[str, tuple[str, int]] = field(default_factory=dict)
    presentable: bool = True


@dataclass(frozen=True)
class PlannedItem:
    kind: str  # "opening", "topic", "break" or "lunch"
    title: str
    minutes: int
    key: str = ""


@dataclass(frozen=True)
class Proposal:
    items: tuple[PlannedItem, ...]
    slot_minutes: int
    chosen: tuple[str, ...]
    left_out: tuple[str, ...]
    explanation: tuple[str, ...]

    @property
    def total_minutes(self) -> int:
        return sum(item.minutes for item in self.items)


def duration(minutes: int) -> str:
    """'3 h 30 min', '2 h', '45 min'."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def minutes_phrase(minutes: int) -> str:
    """'20 minutes', '1 minute'; an hour or more as a duration ('1 h 5 min')."""
    if minutes >= 60:
        return duration(minutes)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def topic_value(topic: TopicSpec, audience: Mapping[str, int]) -> float:
    """The topic's value to this audience, 0 to 243 (see the module's docstring)."""
    total = sum(count for count in audience.values() if count > 0)
    return _weighted_value(topic, audience) / total if total else 0.0


def _weighted_value(topic: TopicSpec, audience: Mapping[str, int]) -> int:
    # The value times the audience's size: an integer, so the optimisation is exact.
    value = 0
    for kind, count in audience.items():
        if count <= 0 or kind not in topic.audiences:
            continue
        relevance, priority = topic.audiences[kind]
        value += count * RELEVANCE_WEIGHT.get(relevance, 0) * 3 ** (LOWEST_PRIORITY - priority)
    return value


def _sort_key(topic: TopicSpec) -> tuple[int, str]:
    return (topic.sequence, topic.key)


def best_subset(weights: Sequence[int], values: Sequence[int], capacity: int) -> tuple[int, ...]:
    """Indices of the subset with the greatest total value whose weights fit in `capacity`; ties
    to fewer total weight, then to the lexicographically smallest indices. Exact (dynamic
    programming over the exact weight used); every weight must be at least 1."""
    # states: weight used -> (value, indices), the best partial selection for exactly that weight
    states: dict[int, tuple[int, tuple[int, ...]]] = {0: (0, ())}
    for index, (weight, value) in enumerate(zip(weights, values, strict=True)):
        for used, (total, chosen) in sorted(states.items(), reverse=True):
            new_used = used + weight
            if new_used > capacity:
                continue
            candidate = (total + value, (*chosen, index))
            held = states.get(new_used)
            if held is None or _better(candidate, held):
                states[new_used] = candidate
    best_used = min(states, key=lambda used: (-states[used][0], used, states[used][1]))
    return states[best_used][1]


def _better(a: tuple[int, tuple[int, ...]], b: tuple[int, tuple[int, ...]]) -> bool:
    return a[0] > b[0] or (a[0] == b[0] and a[1] < b[1])


def _breaks(session_format: str, break_minutes: int, lunch_minutes: int) -> list[PlannedItem]:
    if session_format == FULL_DAY:
        planned = [
            PlannedItem("break", "Morning break", break_minutes),
            PlannedItem("lunch", "Lunch", lunch_minutes),
            PlannedItem("break", "Afternoon break", break_minutes),
        ]
    else:
        planned = [PlannedItem("break", "Break", break_minutes)]
    return [item for item in planned if item.minutes > 0]


def _break_targets(session_format: str, slot_minutes: int, breaks: list[PlannedItem]) -> list[float]:
    """When each break would naturally start, in minutes from the start of the session."""
    if session_format == FULL_DAY:
        fractions = {"Morning break": 0.25, "Lunch": 0.5, "Afternoon break": 0.75}
        return [
            slot_minutes * fractions[item.title] - (item.minutes / 2 if item.kind == "lunch" else 0) for item in breaks
        ]
    return [slot_minutes / 2 - item.minutes / 2 for item in breaks]


def place_breaks(items: list[PlannedItem], breaks: list[PlannedItem], targets: list[float]) -> list[PlannedItem]:
    """`items` with `breaks` put between them (never inside one), in order, each as near its
    target start as the items allow; two breaks share a gap only when there are too few gaps."""
    if not breaks:
        return list(items)
    count = len(items)
    gaps = list(range(1, count)) or [count]  # after item k; the end only when there is one item (or none)
    starts = [0]
    for item in items:
        starts.append(starts[-1] + item.minutes)
    best: tuple[float, tuple[int, ...]] | None = None
    for choice in combinations_with_replacement(gaps, len(breaks)):
        cost = 0.0
        shift = 0
        for gap, planned, target in zip(choice, breaks, targets, strict=True):
            cost += abs(starts[gap] + shift - target)
            shift += planned.minutes
        cost += 10_000 * sum(1 for a, b in pairwise(choice) if a == b)
        if best is None or cost < best[0]:
            best = (cost, choice)
    assert best is not None  # noqa: S101 - there is always at least one gap
    pending = list(zip(best[1], breaks, strict=True))
    placed: list[PlannedItem] = []
    while pending and pending[0][0] == 0:
        placed.append(pending.pop(0)[1])
    for index, item in enumerate(items, start=1):
        placed.append(item)
        while pending and pending[0][0] == index:
            placed.append(pending.pop(0)[1])
    return placed


def _audience_phrase(kinds: Sequence[str]) -> str:
    names = [AUDIENCE_NAMES.get(kind, kind) for kind in kinds]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " or " + names[-1]


def _priority_phrase(topic: TopicSpec, present: Sequence[str]) -> str:
    parts = []
    for kind in present:
        relevance, priority = topic.audiences.get(kind, ("not_relevant", LOWEST_PRIORITY))
        name = AUDIENCE_NAMES.get(kind, kind)
        if RELEVANCE_WEIGHT.get(relevance, 0) == 0:
            parts.append(f"not relevant for {name}")
        elif priority == LOWEST_PRIORITY:
            parts.append(f"lowest priority for {name} ({priority} of {LOWEST_PRIORITY})")
        else:
            parts.append(f"priority {priority} of {LOWEST_PRIORITY} for {name}")
    return ", ".join(parts)


def _lower_first(title: str) -> str:
    # "Local procedures" reads "local procedures" mid-sentence; "SPOC duties" keeps its capitals.
    if len(title) > 1 and title[0].isupper() and not title[1].isupper():
        return title[0].lower() + title[1:]
    return title


def _time_used(total: int, content: int, slot: int, breaks: list[PlannedItem]) -> str:
    words = {1: "one", 2: "two", 3: "three"}
    parts: list[str] = []
    plain = [item.minutes for item in breaks if item.kind == "break"]
    for minutes in sorted(set(plain)):
        n = plain.count(minutes)
        parts.append(f"{words.get(n, str(n))} {minutes}-minute break{'s' if n > 1 else ''}")
    parts += [f"a {item.minutes}-minute lunch" for item in breaks if item.kind == "lunch"]
    sentence = f"{duration(total)}: {duration(content)} of content"
    if parts:
        sentence += ", " + (" and ".join(parts) if len(parts) <= 2 else ", ".join(parts[:-1]) + " and " + parts[-1])
    if total < slot:
        sentence += f"; {minutes_phrase(slot - total)} of the {duration(slot)} slot left free"
    return sentence + "."


def propose_agenda(
    *,
    topics: Sequence[TopicSpec],
    audience: Mapping[str, int],
    slot_minutes: int,
    session_format: str,
    break_minutes: int,
    lunch_minutes: int,
) -> Proposal:
    """The proposed agenda (see the module's docstring for how topics are chosen).

    Guarantees: the total never exceeds `slot_minutes`; every opening item appears exactly once,
    first, in sequence order; chosen topics follow in sequence order, each within its range;
    breaks sit between items; every selectable topic left out has one sentence saying why.
    Raises ValueError for an audience of nobody, AgendaDoesNotFit when the opening items and
    breaks alone need more than the slot.
    """
    if not any(count > 0 for count in audience.values()):
        raise ValueError("Say how many people of at least one audience type will attend.")
    present = [kind for kind in AUDIENCE_NAMES if audience.get(kind, 0) > 0]
    present += sorted(kind for kind, count in audience.items() if count > 0 and kind not in AUDIENCE_NAMES)
    openings = sorted((t for t in topics if t.kind == OPENING), key=_sort_key)
    selectable = sorted((t for t in topics if t.kind != OPENING), key=_sort_key)
    breaks = _breaks(session_format, break_minutes, lunch_minutes)
    fixed = sum(t.min_minutes for t in openings) + sum(b.minutes for b in breaks)
    if fixed > slot_minutes:
        raise AgendaDoesNotFit(
            f"The opening items and breaks need {duration(fixed)}; the slot is {duration(slot_minutes)}: "
            "choose a longer slot"
        )
    available = slot_minutes - fixed

    eligible = [t for t in selectable if t.presentable and _weighted_value(t, audience) > 0]
    picked = best_subset([t.min_minutes for t in eligible], [_weighted_value(t, audience) for t in eligible], available)
    chosen = [eligible[i] for i in picked]
    chosen_keys = {t.key for t in chosen}
    spare = available - sum(t.min_minutes for t in chosen)
    left_before_stretch = spare

    minutes = {t.key: t.min_minutes for t in [*openings, *chosen]}
    for topic in sorted(chosen, key=lambda t: (-_weighted_value(t, audience), *_sort_key(t))) + openings:
        extra = min(spare, topic.max_minutes - topic.min_minutes)
        minutes[topic.key] += extra
        spare -= extra

    explanation: list[str] = []
    for topic in selectable:
        if topic.key in chosen_keys:
            continue
        name = _lower_first(topic.title)
        if not topic.presentable:
            explanation.append(f"Left out: {name} — no trainer able to present it.")
        elif _weighted_value(topic, audience) == 0:
            explanation.append(f"Left out: {name} — not relevant for {_audience_phrase(present)}.")
        else:
            room = (
                f"it did not fit in the {minutes_phrase(left_before_stretch)} left"
                if left_before_stretch
                else "no time was left"
            )
            explanation.append(
                f"Left out: {name} — {_priority_phrase(topic, present)}, and {room} "
                f"(it needs at least {minutes_phrase(topic.min_minutes)})."
            )
    for topic in openings:
        if not topic.presentable:
            explanation.append(
                f"Note: nobody chosen can present the opening item \u2018{topic.title}\u2019 yet; "
                "it stays on the agenda."
            )

    content = [PlannedItem(OPENING, t.title, minutes[t.key], t.key) for t in openings]
    content += [PlannedItem("topic", t.title, minutes[t.key], t.key) for t in sorted(chosen, key=_sort_key)]
    items = place_breaks(content, breaks, _break_targets(session_format, slot_minutes, breaks))
    total = sum(item.minutes for item in items)
    explanation.insert(0, _time_used(total, sum(i.minutes for i in content), slot_minutes, breaks))
    return Proposal(
        items=tuple(items),
        slot_minutes=slot_minutes,
        chosen=tuple(t.key for t in sorted(chosen, key=_sort_key)),
        left_out=tuple(t.key for t in selectable if t.key not in chosen_keys),
        explanation=tuple(explanation),
    )
