"""An instrument definition, parsed, and the engine that scores answers against it.

A unit's instruments are data: a definition file names the items, how they are answered,
how (if at all) they are scored, the bands the score falls into, and what a result should
start next. masip ships none of a licensed instrument's wording; a unit loads its own sets.

`schema.py` checks a file's shape and its cross-references and turns it into the plain
dictionary that `parse_definition` reads here; everything in this module may assume the
dictionary is valid. The engine (`score`) is pure: the same definition and answers always give
the same result, with no database and no clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

# The case-level risk a band stands for, lowest first. Judgement may move a result up this
# ladder, never down (risk.services enforces it).
LEVELS = ("low", "moderate", "high")


def level_rank(level: str) -> int:
    """0 for low, 1 for moderate, 2 for high; raises ValueError for anything else."""
    return LEVELS.index(level)


class ItemType(StrEnum):
    YES_NO = "yes_no"  # answered yes, no or unknown
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    NUMBER = "number"
    DATE = "date"
    TEXT = "text"


class ScoringMethod(StrEnum):
    NONE = "none"  # items are recorded, no score or band (judgement sets the level)
    SUM = "sum"  # the sum of the weights of the answers given
    COUNT_YES = "count_yes"  # how many scored yes/no items were answered yes


class TriggerAction(StrEnum):
    START_INSTRUMENT = "start_instrument"  # suggest another instrument (e.g. the stalking screen)
    PROMPT_FORMULATION = "prompt_formulation"  # suggest a structured professional judgement


YES, NO, UNKNOWN = "yes", "no", "unknown"
YES_NO_ANSWERS = (YES, NO, UNKNOWN)


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    weight: Decimal = Decimal(0)


@dataclass(frozen=True)
class Item:
    id: str
    type: ItemType
    text: str
    help: str = ""
    required: bool = True
    # Scored items count towards the score; a yes/no item adds `weight` when answered yes.
    scored: bool = True
    weight: Decimal = Decimal(1)
    options: tuple[Option, ...] = ()
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    # Asked only when another item has this answer (e.g. three questions for ex-partners).
    only_if: Condition | None = None

    def option(self, value: str) -> Option | None:
        return next((o for o in self.options if o.value == value), None)


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    help: str = ""
    items: tuple[Item, ...] = ()


@dataclass(frozen=True)
class Band:
    """Scores of at least `minimum` (up to the next band's minimum) fall in this band."""

    id: str
    label: str
    level: str  # one of LEVELS
    minimum: Decimal


@dataclass(frozen=True)
class Condition:
    """True when `item` was answered `equals` (for a multiple choice: includes it), or when the
    result's level is at least `level_at_least`. Exactly one of the two is given."""

    item: str | None = None
    equals: str | None = None
    level_at_least: str | None = None


@dataclass(frozen=True)
class Trigger:
    when: Condition
    action: TriggerAction
    message: str
    instrument: str | None = None  # the instrument key to start, for START_INSTRUMENT


@dataclass(frozen=True)
class Definition:
    key: str
    name: str
    version: str
    licence: str
    illustrative: bool
    roles: tuple[str, ...]
    compartment: str
    description: str
    sections: tuple[Section, ...]
    method: ScoringMethod
    bands: tuple[Band, ...]
    triggers: tuple[Trigger, ...] = ()
    scored_items: tuple[str, ...] = field(default=())

    @property
    def items(self) -> tuple[Item, ...]:
        return tuple(item for section in self.sections for item in section.items)

    def item(self, item_id: str) -> Item | None:
        return next((i for i in self.items if i.id == item_id), None)

    def band(self, band_id: str) -> Band | None:
        return next((b for b in self.bands if b.id == band_id), None)


def _decimal(value: Any, default: Decimal | None = None) -> Decimal | None:
    if value is None:
        return default
    return Decimal(str(value))


def _condition(data: Mapping[str, Any]) -> Condition:
    return Condition(item=data.get("item"), equals=data.get("equals"), level_at_least=data.get("level_at_least"))


def _item(data: Mapping[str, Any]) -> Item:
    return Item(
        id=data["id"],
        type=ItemType(data["type"]),
        text=data["text"],
        help=data.get("help", ""),
        required=data.get("required", True),
        scored=data.get("scored", data["type"] in (ItemType.YES_NO, ItemType.SINGLE_CHOICE, ItemType.MULTIPLE_CHOICE)),
        weight=_decimal(data.get("weight"), Decimal(1)) or Decimal(0),
        options=tuple(
            Option(value=o["value"], label=o["label"], weight=_decimal(o.get("weight"), Decimal(0)) or Decimal(0))
            for o in data.get("options", ())
        ),
        minimum=_decimal(data.get("minimum")),
        maximum=_decimal(data.get("maximum")),
        only_if=_condition(data["only_if"]) if data.get("only_if") else None,
    )


def parse_definition(data: Mapping[str, Any]) -> Definition:
    """The Definition of a dictionary that `schema.validate_definition` accepted."""
    scoring = data.get("scoring") or {"method": ScoringMethod.NONE}
    sections = tuple(
        Section(
            id=s["id"],
            title=s["title"],
            help=s.get("help", ""),
            items=tuple(_item(i) for i in s["items"]),
        )
        for s in data["sections"]
    )
    bands = tuple(
        sorted(
            (
                Band(id=b["id"], label=b["label"], level=b["level"], minimum=Decimal(str(b["minimum"])))
                for b in scoring.get("bands", ())
            ),
            key=lambda b: b.minimum,
        )
    )
    triggers = tuple(
        Trigger(
            when=_condition(t["when"]),
            action=TriggerAction(t["action"]),
            message=t["message"],
            instrument=t.get("instrument"),
        )
        for t in data.get("triggers", ())
    )
    return Definition(
        key=data["id"],
        name=data["name"],
        version=str(data["version"]),
        licence=data.get("licence", ""),
        illustrative=data.get("illustrative", False),
        roles=tuple(data["roles"]),
        compartment=data.get("compartment", "team"),
        description=data.get("description", ""),
        sections=sections,
        method=ScoringMethod(scoring["method"]),
        bands=bands,
        triggers=triggers,
        scored_items=tuple(scoring.get("items", ())),
    )


# ---------------------------------------------------------------------------------------------
# Answers
# ---------------------------------------------------------------------------------------------


class AnswerError(ValueError):
    """Answers that do not fit the definition; `problems` maps an item id ('' for the whole
    set) to what is wrong with it, in words an assessor can act on."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k or 'answers'}: {v}" for k, v in problems.items()))
        self.problems = problems


def _clean_one(item: Item, value: Any) -> Any:
    """The stored form of one answer, or ValueError with the reason."""
    if item.type == ItemType.YES_NO:
        if value not in YES_NO_ANSWERS:
            raise ValueError("Answer yes, no or unknown.")
        return value
    if item.type == ItemType.SINGLE_CHOICE:
        if not isinstance(value, str) or item.option(value) is None:
            raise ValueError("Choose one of the options offered.")
        return value
    if item.type == ItemType.MULTIPLE_CHOICE:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple) or any(not isinstance(v, str) or item.option(v) is None for v in value):
            raise ValueError("Choose from the options offered.")
        return sorted(set(value), key=[o.value for o in item.options].index)
    if item.type == ItemType.NUMBER:
        try:
            number = Decimal(str(value).strip())
        except ArithmeticError:
            raise ValueError("Enter a number, like 3 or 2.5.") from None
        if not number.is_finite():
            raise ValueError("Enter a number, like 3 or 2.5.")
        if item.minimum is not None and number < item.minimum:
            raise ValueError(f"Enter a number of at least {item.minimum}.")
        if item.maximum is not None and number > item.maximum:
            raise ValueError(f"Enter a number of at most {item.maximum}.")
        return str(number)
    if item.type == ItemType.DATE:
        try:
            return date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise ValueError("Enter a real date, like 2026-03-27.") from None
    if not isinstance(value, str):
        raise ValueError("Enter text.")
    if len(value) > 10_000:
        raise ValueError("Keep the answer under 10,000 characters.")
    return value.strip()


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == ()


def clean_answers(definition: Definition, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers in their stored form, blank ones dropped. Raises AnswerError naming every
    item that is unknown to the definition or answered in a way it does not allow."""
    problems: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    for item_id, value in answers.items():
        item = definition.item(item_id)
        if item is None:
            problems[item_id] = f"“{item_id}” is not an item of {definition.name} version {definition.version}."
            continue
        if _blank(value):
            continue
        try:
            cleaned[item_id] = _clean_one(item, value)
        except ValueError as exc:
            problems[item_id] = str(exc)
    if problems:
        raise AnswerError(problems)
    return cleaned


def condition_holds(condition: Condition, answers: Mapping[str, Any], level: str | None = None) -> bool:
    if condition.level_at_least is not None:
        return level is not None and level_rank(level) >= level_rank(condition.level_at_least)
    answer = answers.get(condition.item or "")
    if isinstance(answer, list):
        return condition.equals in answer
    return answer == condition.equals


def asked(definition: Definition, answers: Mapping[str, Any]) -> tuple[Item, ...]:
    """The items this set of answers asks: conditional items only when their condition holds.

    A condition looks only at answers to items that are themselves asked (a condition names an
    earlier item, so one pass in order settles it): an answer left over from before an earlier
    answer changed, to an item no longer asked, neither asks the items that depend on it nor
    counts."""
    given: dict[str, Any] = {}
    items: list[Item] = []
    for item in definition.items:
        if item.only_if is None or condition_holds(item.only_if, given):
            items.append(item)
            if item.id in answers:
                given[item.id] = answers[item.id]
    return tuple(items)


def asked_answers(definition: Definition, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers to the items asked (see `asked`)."""
    return {i.id: answers[i.id] for i in asked(definition, answers) if i.id in answers}


def missing_answers(definition: Definition, answers: Mapping[str, Any]) -> list[Item]:
    """Required items asked but not answered: a completed assessment has none."""
    return [i for i in asked(definition, answers) if i.required and _blank(answers.get(i.id))]


# ---------------------------------------------------------------------------------------------
# Scoring
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    score: Decimal | None  # None when the instrument has no scoring
    band: Band | None
    yes_count: int
    unknown_count: int
    triggers: tuple[Trigger, ...]

    @property
    def level(self) -> str | None:
        return self.band.level if self.band else None


def _scored(definition: Definition, answers: Mapping[str, Any]) -> list[Item]:
    chosen = set(definition.scored_items)
    return [i for i in asked(definition, answers) if (i.id in chosen if chosen else i.scored)]


def _points(item: Item, answer: Any) -> Decimal:
    if answer is None:
        return Decimal(0)
    if item.type == ItemType.YES_NO:
        return item.weight if answer == YES else Decimal(0)
    if item.type == ItemType.SINGLE_CHOICE:
        option = item.option(answer)
        return option.weight if option else Decimal(0)
    if item.type == ItemType.MULTIPLE_CHOICE:
        return sum((o.weight for o in item.options if o.value in answer), Decimal(0))
    if item.type == ItemType.NUMBER:
        return Decimal(answer) * item.weight
    return Decimal(0)


def band_for(bands: tuple[Band, ...], score: Decimal) -> Band | None:
    """The highest band whose minimum the score reaches (bands are sorted by minimum)."""
    reached = [b for b in bands if score >= b.minimum]
    return reached[-1] if reached else None


def score(definition: Definition, answers: Mapping[str, Any]) -> Result:
    """Score cleaned answers. Unknown and unanswered items add nothing (they are counted, so a
    low score built on unknowns can be seen as such)."""
    items = _scored(definition, answers)
    yes_count = sum(1 for i in items if i.type == ItemType.YES_NO and answers.get(i.id) == YES)
    unknown_count = sum(1 for i in items if answers.get(i.id) in (None, UNKNOWN))
    total: Decimal | None
    if definition.method == ScoringMethod.NONE:
        total = None
    elif definition.method == ScoringMethod.COUNT_YES:
        total = Decimal(yes_count)
    else:
        total = sum((_points(i, answers.get(i.id)) for i in items), Decimal(0))
    band = band_for(definition.bands, total) if total is not None else None
    level = band.level if band else None
    given = asked_answers(definition, answers)
    fired = tuple(t for t in definition.triggers if condition_holds(t.when, given, level))
    return Result(score=total, band=band, yes_count=yes_count, unknown_count=unknown_count, triggers=fired)
