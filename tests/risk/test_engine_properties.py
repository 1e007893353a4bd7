"""Property-based tests of the scoring engine (definition.score and band_for)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from masip.risk.definition import (
    LEVELS,
    NO,
    UNKNOWN,
    YES,
    Band,
    Definition,
    Item,
    ItemType,
    ScoringMethod,
    Section,
    band_for,
    level_rank,
    score,
)

FAST = settings(max_examples=60, deadline=None)


@st.composite
def ascending_bands(draw: Any) -> tuple[Band, ...]:
    """1 to 5 bands starting at 0, minimums strictly increasing, levels never going down."""
    steps = draw(st.lists(st.integers(min_value=1, max_value=10), min_size=0, max_size=4))
    minimums = [0]
    for step in steps:
        minimums.append(minimums[-1] + step)
    levels = sorted(
        draw(st.lists(st.sampled_from(LEVELS), min_size=len(minimums), max_size=len(minimums))), key=level_rank
    )
    return tuple(
        Band(id=f"b{i}", label=f"Band {i}", level=level, minimum=Decimal(m))
        for i, (m, level) in enumerate(zip(minimums, levels, strict=True))
    )


weights = st.integers(min_value=0, max_value=5).map(Decimal)


def definition_of(weights_: list[Decimal], bands: tuple[Band, ...], method: ScoringMethod) -> Definition:
    items = tuple(Item(id=f"q{i}", type=ItemType.YES_NO, text="?", weight=w) for i, w in enumerate(weights_))
    return Definition(
        key="prop",
        name="Property",
        version="1",
        licence="",
        illustrative=True,
        roles=("clinician",),
        compartment="team",
        description="",
        sections=(Section(id="s", title="S", items=items),),
        method=method,
        bands=bands,
    )


answer = st.sampled_from([YES, NO, UNKNOWN, None])


@st.composite
def scored_case(draw: Any, method: ScoringMethod = ScoringMethod.SUM) -> tuple[Definition, dict[str, Any]]:
    w = draw(st.lists(weights, min_size=1, max_size=15))
    definition = definition_of(w, draw(ascending_bands()), method)
    answers = {f"q{i}": a for i, a in enumerate(draw(st.lists(answer, min_size=len(w), max_size=len(w)))) if a}
    return definition, answers


@FAST
@given(bands=ascending_bands(), total=st.integers(min_value=0, max_value=60).map(Decimal))
def test_the_band_is_the_highest_whose_minimum_the_score_reaches(bands, total):
    band = band_for(bands, total)
    assert band is not None  # the first band starts at 0
    assert band.minimum <= total
    assert all(b.minimum > total for b in bands if b.minimum > band.minimum)


@FAST
@given(bands=ascending_bands(), data=st.data())
def test_a_score_at_a_threshold_is_in_that_band_and_one_below_in_the_band_beneath(bands, data):
    index = data.draw(st.integers(min_value=0, max_value=len(bands) - 1))
    assert band_for(bands, bands[index].minimum) == bands[index]
    if index:
        assert band_for(bands, bands[index].minimum - 1) == bands[index - 1]
    else:
        assert band_for(bands, bands[0].minimum - 1) is None


@FAST
@given(case=scored_case(), method=st.sampled_from([ScoringMethod.SUM, ScoringMethod.COUNT_YES]), data=st.data())
def test_adding_a_yes_never_lowers_the_score_or_the_band(case, method, data):
    definition, answers = case
    definition = definition_of([i.weight for i in definition.items], definition.bands, method)
    before = score(definition, answers)
    not_yes = [i.id for i in definition.items if answers.get(i.id) != YES]
    if not not_yes:
        return
    changed = {**answers, data.draw(st.sampled_from(not_yes)): YES}
    after = score(definition, changed)
    assert after.score >= before.score
    assert level_rank(after.level) >= level_rank(before.level)
    assert after.band.minimum >= before.band.minimum


@FAST
@given(case=scored_case(method=ScoringMethod.COUNT_YES))
def test_count_yes_is_the_number_of_yes_answers(case):
    definition, answers = case
    result = score(definition, answers)
    yeses = sum(1 for a in answers.values() if a == YES)
    assert result.score == yeses == result.yes_count
    assert result.unknown_count == sum(1 for i in definition.items if answers.get(i.id) in (None, UNKNOWN))


@FAST
@given(case=scored_case())
def test_sum_is_the_weights_of_the_yes_answers_and_unknowns_add_nothing(case):
    definition, answers = case
    result = score(definition, answers)
    assert result.score == sum((i.weight for i in definition.items if answers.get(i.id) == YES), Decimal(0))
    without_unknowns = {k: v for k, v in answers.items() if v != UNKNOWN}
    assert score(definition, without_unknowns).score == result.score


@FAST
@given(case=scored_case())
def test_scoring_is_deterministic(case):
    definition, answers = case
    assert score(definition, answers) == score(definition, dict(reversed(list(answers.items()))))


def _chained() -> Definition:
    """q0; q1 asked only when q0 is yes; q2 asked only when q1 is yes; a trigger on q2."""
    from masip.risk.definition import Condition, Trigger, TriggerAction

    items = (
        Item(id="q0", type=ItemType.YES_NO, text="?"),
        Item(id="q1", type=ItemType.YES_NO, text="?", only_if=Condition(item="q0", equals=YES)),
        Item(id="q2", type=ItemType.YES_NO, text="?", only_if=Condition(item="q1", equals=YES)),
    )
    return Definition(
        key="chain",
        name="Chain",
        version="1",
        licence="",
        illustrative=True,
        roles=("clinician",),
        compartment="team",
        description="",
        sections=(Section(id="s", title="S", items=items),),
        method=ScoringMethod.COUNT_YES,
        bands=(Band(id="low", label="Low", level="low", minimum=Decimal(0)),),
        triggers=(
            Trigger(
                when=Condition(item="q2", equals=YES), action=TriggerAction.PROMPT_FORMULATION, message="Formulate"
            ),
        ),
    )


@FAST
@given(q1=answer, q2=answer)
def test_answers_to_items_not_asked_add_nothing_and_fire_nothing(q1, q2):
    # q0 answered no: q1 is not asked, so neither is q2, whatever answers were left over from before.
    definition = _chained()
    answers = {k: v for k, v in {"q0": NO, "q1": q1, "q2": q2}.items() if v}
    result = score(definition, answers)
    assert result.score == 0
    assert result.yes_count == 0
    assert result.triggers == ()
