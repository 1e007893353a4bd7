"""Property tests of the agenda builder: for random catalogues, audiences, slots and formats it
never runs over time, always opens with the opening items once each, keeps every topic within
its range, never puts a break inside an item, never chooses a topic nobody can present or nobody
in the room needs, and chooses an optimal set (compared with brute force)."""

from __future__ import annotations

from itertools import combinations
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from masip.training.builder import (
    AgendaDoesNotFit,
    TopicSpec,
    _weighted_value,
    best_subset,
    propose_agenda,
)

AUDIENCES = ("managers", "spocs", "front_line")
RELEVANCES = ("core", "relevant", "background", "not_relevant")


@st.composite
def topic(draw: Any, index: int, kind: str) -> TopicSpec:
    low = draw(st.integers(1, 12)) * 5
    high = low + draw(st.integers(0, 6)) * 5
    audiences = {
        name: (draw(st.sampled_from(RELEVANCES)), draw(st.integers(1, 5)))
        for name in AUDIENCES
        if draw(st.booleans()) or kind == "opening"
    }
    return TopicSpec(
        key=f"{kind}-{index}",
        title=f"{kind.title()} topic {index}",
        kind=kind,
        min_minutes=low,
        max_minutes=high,
        sequence=draw(st.integers(0, 50)),
        audiences=audiences,
        presentable=draw(st.booleans()) if kind == "selectable" else True,
    )


@st.composite
def catalogue(draw: Any, max_selectable: int = 9) -> list[TopicSpec]:
    openings = [draw(topic(i, "opening")) for i in range(draw(st.integers(1, 3)))]
    selectable = [draw(topic(i, "selectable")) for i in range(draw(st.integers(0, max_selectable)))]
    return openings + selectable


audiences = st.fixed_dictionaries({name: st.integers(0, 30) for name in AUDIENCES}).filter(
    lambda mix: any(mix.values())
)
formats = st.sampled_from(["half_day", "full_day"])


def _propose(topics: list[TopicSpec], mix: dict[str, int], slot: int, fmt: str, brk: int, lunch: int) -> Any:
    try:
        return propose_agenda(
            topics=topics,
            audience=mix,
            slot_minutes=slot,
            session_format=fmt,
            break_minutes=brk,
            lunch_minutes=lunch,
        )
    except AgendaDoesNotFit:
        fixed = sum(t.min_minutes for t in topics if t.kind == "opening") + brk * (2 if fmt == "full_day" else 1)
        fixed += lunch if fmt == "full_day" else 0
        assert fixed > slot, "refused although the opening items and breaks fit"
        return None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(catalogue(), audiences, st.integers(30, 480), formats, st.integers(0, 30), st.integers(0, 60))
def test_every_proposal_keeps_the_rules(
    topics: list[TopicSpec], mix: dict[str, int], slot: int, fmt: str, brk: int, lunch: int
) -> None:
    proposal = _propose(topics, mix, slot, fmt, brk, lunch)
    if proposal is None:
        return
    by_key = {t.key: t for t in topics}
    assert proposal.total_minutes <= slot

    openings = sorted((t for t in topics if t.kind == "opening"), key=lambda t: (t.sequence, t.key))
    content = [item for item in proposal.items if item.kind not in {"break", "lunch"}]
    opening_keys = [item.key for item in content if item.kind == "opening"]
    assert opening_keys == [t.key for t in openings], "opening items once each, in sequence order"
    assert [item.kind for item in content[: len(openings)]] == ["opening"] * len(openings), "openings come first"

    chosen = [item for item in content if item.kind == "topic"]
    assert [(by_key[i.key].sequence, i.key) for i in chosen] == sorted((by_key[i.key].sequence, i.key) for i in chosen)
    for item in content:
        spec = by_key[item.key]
        assert spec.min_minutes <= item.minutes <= spec.max_minutes
    for item in chosen:
        spec = by_key[item.key]
        assert spec.presentable, "a topic nobody can present was chosen"
        assert _weighted_value(spec, mix) > 0, "a topic nobody in the room needs was chosen"

    # Breaks are whole items of their own: the content, read without them, is intact and in order.
    breaks = [item for item in proposal.items if item.kind in {"break", "lunch"}]
    expected_breaks = ["break", "lunch", "break"] if fmt == "full_day" else ["break"]
    expected_breaks = [k for k in expected_breaks if (lunch if k == "lunch" else brk) > 0]
    assert [item.kind for item in breaks] == expected_breaks
    assert sum(1 for item in proposal.items if item.key) == len(content)
    if len(content) >= 2 and breaks:
        assert proposal.items[0].kind not in {"break", "lunch"}, "a break before anything"
        assert proposal.items[-1].kind not in {"break", "lunch"}, "a break after everything"

    # Every selectable topic left out has exactly one sentence saying why.
    left_out = [t for t in topics if t.kind == "selectable" and t.key not in {i.key for i in chosen}]
    reasons = [line for line in proposal.explanation if line.startswith("Left out: ")]
    assert len(reasons) == len(left_out)
    for spec, reason in zip(sorted(left_out, key=lambda t: (t.sequence, t.key)), reasons, strict=True):
        if not spec.presentable:
            assert "no trainer able to present it" in reason
        elif _weighted_value(spec, mix) == 0:
            assert "not relevant for" in reason


@settings(max_examples=300, deadline=None)
@given(catalogue(max_selectable=8), audiences, st.integers(60, 420), formats)
def test_the_choice_is_optimal_against_brute_force(
    topics: list[TopicSpec], mix: dict[str, int], slot: int, fmt: str
) -> None:
    proposal = _propose(topics, mix, slot, fmt, 15, 45)
    if proposal is None:
        return
    fixed = sum(t.min_minutes for t in topics if t.kind == "opening") + (75 if fmt == "full_day" else 15)
    room = slot - fixed
    eligible = [t for t in topics if t.kind == "selectable" and t.presentable and _weighted_value(t, mix) > 0]
    best = 0
    for size in range(len(eligible) + 1):
        for subset in combinations(eligible, size):
            if sum(t.min_minutes for t in subset) <= room:
                best = max(best, sum(_weighted_value(t, mix) for t in subset))
    chosen = {t.key: t for t in topics}
    assert sum(_weighted_value(chosen[key], mix) for key in proposal.chosen) == best


@settings(deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 40), st.integers(0, 30)), max_size=9),
    st.integers(0, 150),
)
def test_best_subset_matches_brute_force_including_its_tie_breaks(items: list[tuple[int, int]], room: int) -> None:
    weights = [w for w, _ in items]
    values = [v for _, v in items]
    expected = min(
        (
            subset
            for size in range(len(items) + 1)
            for subset in combinations(range(len(items)), size)
            if sum(weights[i] for i in subset) <= room
        ),
        key=lambda s: (-sum(values[i] for i in s), sum(weights[i] for i in s), s),
    )
    assert best_subset(weights, values, room) == expected


def test_same_input_same_agenda() -> None:
    topics = [
        TopicSpec("o", "Opening", "opening", 30, 30, 1, audiences={"spocs": ("core", 1)}),
        *(
            TopicSpec(f"t{i}", f"Topic {i}", "selectable", 20, 30, 10 + i, audiences={"spocs": ("relevant", 2)})
            for i in range(6)
        ),
    ]
    first = propose_agenda(
        topics=topics,
        audience={"spocs": 5},
        slot_minutes=120,
        session_format="half_day",
        break_minutes=15,
        lunch_minutes=0,
    )
    again = propose_agenda(
        topics=list(reversed(topics)),
        audience={"spocs": 5},
        slot_minutes=120,
        session_format="half_day",
        break_minutes=15,
        lunch_minutes=0,
    )
    assert first == again
    assert first.chosen == ("t0", "t1", "t2"), "equal topics: the earlier in the catalogue's sequence win"


def test_an_audience_of_nobody_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one audience type"):
        propose_agenda(
            topics=[], audience={"managers": 0}, slot_minutes=210, session_format="half_day", break_minutes=15,
            lunch_minutes=45,
        )  # fmt: skip
