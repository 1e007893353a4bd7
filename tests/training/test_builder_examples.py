"""The builder on masip's shipped catalogue, for each audience and each format: the topics a
stalking unit's trainer would expect, and the reasons given for the others."""

from __future__ import annotations

import pytest

from masip.training.builder import AgendaDoesNotFit, Proposal, TopicSpec, duration, propose_agenda, topic_value
from masip.training.catalogue import catalogue_load

HALF, FULL = "half_day", "full_day"


def _specs(without_trainer: frozenset[str] = frozenset()) -> list[TopicSpec]:
    return [
        TopicSpec(
            key=t.key,
            title=t.title,
            kind=t.kind,
            format=t.format,
            min_minutes=t.min_minutes,
            max_minutes=t.max_minutes,
            sequence=t.sequence,
            audiences=t.audiences,
            presentable=t.key not in without_trainer,
        )
        for t in catalogue_load()
    ]


def _propose(audience: dict[str, int], fmt: str, **kwargs: frozenset[str]) -> Proposal:
    return propose_agenda(
        topics=_specs(**kwargs),
        audience=audience,
        slot_minutes=390 if fmt == FULL else 210,
        session_format=fmt,
        break_minutes=15,
        lunch_minutes=45,
    )


def _topics(proposal: Proposal) -> list[str]:
    return [item.key for item in proposal.items if item.kind == "topic"]


def _kinds(proposal: Proposal) -> list[str]:
    return [item.kind for item in proposal.items]


def test_managers_half_day_get_the_management_topics_and_local_procedures_is_left_out() -> None:
    proposal = _propose({"managers": 12}, HALF)
    assert _topics(proposal) == [
        "what-stalking-is",
        "victim-impact",
        "compared-behaviour",
        "legal-issues",
        "management-implications",
        "red-flags",
        "multi-agency",
    ]
    assert proposal.total_minutes == 210
    assert proposal.explanation[0] == "3 h 30 min: 3 h 15 min of content, one 15-minute break."
    assert (
        "Left out: local procedures — lowest priority for managers (5 of 5), and it did not fit in the 5 minutes "
        "left (it needs at least 15 minutes)." in proposal.explanation
    )
    assert any(line.startswith("Left out: investigations: ") and "priority 4 of 5 for managers" in line
               for line in proposal.explanation)  # fmt: skip


def test_managers_full_day_leave_out_only_the_investigations_workshop() -> None:
    proposal = _propose({"managers": 12}, FULL)
    assert "management-implications" in _topics(proposal)
    assert "multi-agency" in _topics(proposal)
    assert proposal.left_out == ("investigations",)
    assert proposal.explanation[0] == ("6 h 30 min: 5 h 15 min of content, two 15-minute breaks and a 45-minute lunch.")
    assert proposal.explanation[1].startswith("Left out: investigations: perpetrator-focused")
    assert "priority 4 of 5 for managers, and it did not fit in the 10 minutes left" in proposal.explanation[1]


def test_spocs_half_day_get_every_priority_one_topic_including_investigations() -> None:
    proposal = _propose({"spocs": 8}, HALF)
    assert _topics(proposal) == [
        "what-stalking-is",
        "victim-impact",
        "typology-risk-profiling",
        "risk-management",
        "investigations",
    ]
    assert (
        "Left out: legal issues — priority 2 of 5 for SPOCs, and no time was left (it needs at least 25 minutes)."
        in (proposal.explanation)
    )
    assert "management-implications" in proposal.left_out


def test_spocs_full_day_add_the_law_interventions_and_procedures() -> None:
    proposal = _propose({"spocs": 8}, FULL)
    assert set(proposal.left_out) == {"compared-behaviour", "management-implications"}
    assert {"legal-issues", "interventions", "local-procedures", "multi-agency", "investigations"} <= set(
        _topics(proposal)
    )


def test_front_line_never_get_management_implications() -> None:
    for fmt in (HALF, FULL):
        proposal = _propose({"front_line": 25}, fmt)
        assert "management-implications" not in _topics(proposal)
        assert "Left out: management implications for typologies — not relevant for front-line staff." in (
            proposal.explanation
        )


def test_front_line_half_day_get_recognising_and_responding() -> None:
    proposal = _propose({"front_line": 25}, HALF)
    assert _topics(proposal) == [
        "what-stalking-is",
        "victim-impact",
        "compared-behaviour",
        "risk-management",
        "red-flags",
        "local-procedures",
    ]
    assert any(
        line.startswith("Left out: stalker typology and risk profiling — priority 4 of 5 for front-line staff")
        for line in proposal.explanation
    )


def test_front_line_full_day_leave_out_interventions_too() -> None:
    proposal = _propose({"front_line": 25}, FULL)
    assert set(proposal.left_out) == {"management-implications", "interventions"}


def test_a_mixed_room_half_day_weighs_each_group_by_its_share() -> None:
    proposal = _propose({"managers": 4, "spocs": 6, "front_line": 20}, HALF)
    # Mostly front-line staff: their topics lead, but the managers' management implications
    # still earns its place (core and priority 1 for them; not relevant for the front line).
    assert _topics(proposal) == [
        "what-stalking-is",
        "victim-impact",
        "compared-behaviour",
        "risk-management",
        "management-implications",
        "red-flags",
        "local-procedures",
    ]
    line = next(line for line in proposal.explanation if line.startswith("Left out: multi-agency approaches"))
    assert "priority 1 of 5 for managers, priority 2 of 5 for SPOCs, priority 4 of 5 for front-line staff" in line


def test_a_mixed_room_full_day_leaves_out_only_interventions() -> None:
    proposal = _propose({"managers": 4, "spocs": 6, "front_line": 20}, FULL)
    assert proposal.left_out == ("interventions",)


@pytest.mark.parametrize("fmt", [HALF, FULL])
@pytest.mark.parametrize("audience", [{"managers": 3}, {"spocs": 3}, {"front_line": 3}, {"managers": 1, "spocs": 1}])
def test_every_agenda_opens_with_the_story_and_the_scale_and_fits(audience: dict[str, int], fmt: str) -> None:
    proposal = _propose(audience, fmt)
    assert [item.key for item in proposal.items[:2]] == ["victim-story", "scale-of-problem"]
    assert proposal.total_minutes <= (390 if fmt == FULL else 210)
    breaks = [item.title for item in proposal.items if item.kind in {"break", "lunch"}]
    assert breaks == (["Morning break", "Lunch", "Afternoon break"] if fmt == FULL else ["Break"])


def test_lunch_falls_near_the_middle_of_a_full_day() -> None:
    proposal = _propose({"spocs": 8}, FULL)
    elapsed = 0
    for item in proposal.items:
        if item.kind == "lunch":
            break
        elapsed += item.minutes
    assert 150 <= elapsed <= 200, f"lunch starts {duration(elapsed)} in"


def test_a_topic_without_a_trainer_is_left_out_and_says_so() -> None:
    proposal = _propose({"spocs": 8}, HALF, without_trainer=frozenset({"investigations", "interventions"}))
    assert "investigations" not in _topics(proposal)
    assert "Left out: interventions — no trainer able to present it." in proposal.explanation
    # The 40 minutes go to the two short priority-2 topics, worth more together than the law.
    assert {"red-flags", "local-procedures"} <= set(_topics(proposal))
    assert "legal-issues" in proposal.left_out


def test_a_slot_too_short_for_the_openings_and_breaks_is_refused_with_the_numbers() -> None:
    with pytest.raises(AgendaDoesNotFit) as refused:
        propose_agenda(
            topics=_specs(), audience={"spocs": 1}, slot_minutes=120, session_format=FULL, break_minutes=20,
            lunch_minutes=45,
        )  # fmt: skip
    assert str(refused.value) == ("The opening items and breaks need 2 h 10 min; the slot is 2 h: choose a longer slot")


def test_value_is_share_weighted() -> None:
    spec = TopicSpec("t", "T", "selectable", 10, 10, audiences={"managers": ("core", 1), "spocs": ("background", 5)})
    assert topic_value(spec, {"managers": 1}) == 243
    assert topic_value(spec, {"spocs": 1}) == 1
    assert topic_value(spec, {"managers": 1, "spocs": 3}) == (243 + 3 * 1) / 4
    assert topic_value(spec, {"front_line": 5}) == 0
