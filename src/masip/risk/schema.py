"""The instrument definition file: reading it safely, checking it, and normalising it.

A definition file is YAML or JSON (docs/risk-instruments.md). Reading it is careful because a
unit uploads it: the size is checked before anything is parsed, YAML is read with a loader that
builds only plain text, numbers, true/false, lists and mappings (no tags, so no objects; no
anchors or aliases, so no "billion laughs"), and absurd sizes are refused.

Checking has two halves. `SCHEMA` (JSON Schema, draft 2020-12) checks the shape: which fields
exist, their types and allowed values. The cross-checks after it check what a schema cannot
say: ids used twice, conditions naming items that do not exist or come later, answers an item
cannot have, bands out of order. Every problem is reported, each with the path of the field it
is about (`sections[1].items[3].id: ...`, counted from 0), so a file is fixed in one go.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import yaml
from django.conf import settings
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from jsonschema.exceptions import ValidationError as SchemaError  # type: ignore[import-untyped]

from masip.access.policy import Capability, roles_with_capability
from masip.risk.definition import (
    LEVELS,
    YES_NO_ANSWERS,
    Definition,
    ItemType,
    ScoringMethod,
    TriggerAction,
    level_rank,
    parse_definition,
)

DEFAULT_MAX_BYTES = 1024 * 1024
MAX_ITEMS = 500
MAX_SECTIONS = 100
MAX_OPTIONS = 100
MAX_TEXT = 5_000
MAX_DEPTH = 20

CHOICE_TYPES = (ItemType.SINGLE_CHOICE, ItemType.MULTIPLE_CHOICE)
# Items that can be a condition (only_if, a trigger's `when`): their answers are a fixed list.
CONDITION_TYPES = (ItemType.YES_NO, *CHOICE_TYPES)
# Roles that may use an instrument: those that work cases.
CASE_ROLES = sorted(str(role) for role in roles_with_capability(Capability.WORK_CASES))
COMPARTMENTS = ["team", "police", "health", "advocacy"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a definition file: where (`path`, empty for the whole file) and what."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class DefinitionError(ValueError):
    """A definition file that cannot be loaded; `problems` lists every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def max_bytes() -> int:
    return int(getattr(settings, "MASIP_INSTRUMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


def size_text(size: int) -> str:
    if size >= 1024 * 1024 and size % (1024 * 1024) == 0:
        return f"{size // (1024 * 1024)} MB"
    if size >= 1024:
        return f"{size / 1024:,.0f} KB"
    return f"{size} bytes"


def too_large_message(limit: int) -> str:
    return (
        f"The file is larger than {size_text(limit)}, the largest instrument definition masip accepts "
        "(MASIP_INSTRUMENT_MAX_BYTES). Check you chose the definition file, not a document or an export."
    )


# ---------------------------------------------------------------------------------------------
# The schema
# ---------------------------------------------------------------------------------------------

_TEXT = {"type": "string", "maxLength": MAX_TEXT}
_ID = {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$", "x-message": "ID"}
_WEIGHT = {"type": "number", "minimum": 0, "maximum": 1000}
# Assessment.score holds 10 digits with 2 decimals.
MAX_STORED_SCORE = Decimal("99999999.99")
_BOUND = {"type": "number", "minimum": -1_000_000, "maximum": 1_000_000}


def _choice(types: tuple[str, ...]) -> dict[str, Any]:
    return {"properties": {"type": {"enum": list(types)}}, "required": ["type"]}


_CONDITION = {
    "type": "object",
    "properties": {"item": _ID, "equals": {"type": "string", "maxLength": 200}},
    "required": ["item", "equals"],
    "additionalProperties": False,
}

_ITEM = {
    "type": "object",
    "properties": {
        "id": _ID,
        "type": {"enum": [t.value for t in ItemType]},
        "text": {**_TEXT, "minLength": 1},
        "help": _TEXT,
        "required": {"type": "boolean"},
        "scored": {"type": "boolean"},
        "weight": _WEIGHT,
        "options": {
            "type": "array",
            "minItems": 2,
            "maxItems": MAX_OPTIONS,
            "items": {
                "type": "object",
                "properties": {
                    "value": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$", "x-message": "ID"},
                    "label": {**_TEXT, "minLength": 1},
                    "weight": _WEIGHT,
                },
                "required": ["value", "label"],
                "additionalProperties": False,
            },
        },
        "minimum": _BOUND,
        "maximum": _BOUND,
        "only_if": _CONDITION,
    },
    "required": ["id", "type", "text"],
    "additionalProperties": False,
    "allOf": [
        {
            "if": _choice(tuple(CHOICE_TYPES)),
            "then": {"required": ["options"], "x-message": "a choice item needs its “options”"},
        },
        {
            "if": {"not": _choice(tuple(CHOICE_TYPES))},
            "then": {
                "not": {"required": ["options"]},
                "x-message": "“options” are only for single_choice and multiple_choice items",
            },
        },
        {
            "if": {"not": _choice((ItemType.NUMBER,))},
            "then": {
                "not": {"anyOf": [{"required": ["minimum"]}, {"required": ["maximum"]}]},
                "x-message": "“minimum” and “maximum” are only for number items",
            },
        },
        {
            "if": _choice(tuple(CHOICE_TYPES)),
            "then": {
                "not": {"required": ["weight"]},
                "x-message": "a choice item is weighted by its options: put “weight” on each option instead",
            },
        },
    ],
}

_BAND = {
    "type": "object",
    "properties": {
        "id": _ID,
        "label": {**_TEXT, "minLength": 1},
        "level": {"enum": list(LEVELS)},
        "minimum": _BOUND,
    },
    "required": ["id", "label", "level", "minimum"],
    "additionalProperties": False,
}

_TRIGGER = {
    "type": "object",
    "properties": {
        "when": {
            "oneOf": [
                _CONDITION,
                {
                    "type": "object",
                    "properties": {"level_at_least": {"enum": list(LEVELS)}},
                    "required": ["level_at_least"],
                    "additionalProperties": False,
                },
            ],
            "x-message": (
                "give either “item” and “equals” (an answer that fires the trigger) or “level_at_least” "
                f"(one of {', '.join(LEVELS)}), not both"
            ),
        },
        "action": {"enum": [a.value for a in TriggerAction]},
        "instrument": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,63}$", "x-message": "KEY"},
        "message": {**_TEXT, "minLength": 1},
    },
    "required": ["when", "action", "message"],
    "additionalProperties": False,
    "allOf": [
        {
            "if": {"properties": {"action": {"const": "start_instrument"}}, "required": ["action"]},
            "then": {
                "required": ["instrument"],
                "x-message": "a start_instrument trigger must name the “instrument” to start, by its id",
            },
            "else": {
                "not": {"required": ["instrument"]},
                "x-message": "“instrument” is only for start_instrument triggers",
            },
        }
    ],
}

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://masip.invalid/schemas/risk-instrument.json",
    "title": "masip risk instrument definition",
    "type": "object",
    "properties": {
        "id": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,63}$", "x-message": "KEY"},
        "name": {**_TEXT, "minLength": 1, "maxLength": 200},
        "version": {
            "type": "string",
            "pattern": "^[0-9A-Za-z][0-9A-Za-z.-]{0,31}$",
            "x-message": "VERSION",
        },
        "licence": _TEXT,
        "illustrative": {"type": "boolean"},
        "roles": {"type": "array", "minItems": 1, "uniqueItems": True, "items": {"enum": CASE_ROLES}},
        "compartment": {"enum": COMPARTMENTS},
        "description": _TEXT,
        "sections": {
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_SECTIONS,
            "items": {
                "type": "object",
                "properties": {
                    "id": _ID,
                    "title": {**_TEXT, "minLength": 1},
                    "help": _TEXT,
                    "items": {"type": "array", "minItems": 1, "maxItems": MAX_ITEMS, "items": _ITEM},
                },
                "required": ["id", "title", "items"],
                "additionalProperties": False,
            },
        },
        "scoring": {
            "type": "object",
            "properties": {
                "method": {"enum": [m.value for m in ScoringMethod]},
                "items": {"type": "array", "minItems": 1, "maxItems": MAX_ITEMS, "items": _ID},
                "bands": {"type": "array", "minItems": 1, "maxItems": 20, "items": _BAND},
            },
            "required": ["method"],
            "additionalProperties": False,
        },
        "triggers": {"type": "array", "maxItems": 50, "items": _TRIGGER},
    },
    "required": ["id", "name", "version", "licence", "roles", "sections"],
    "additionalProperties": False,
}

_VALIDATOR = Draft202012Validator(SCHEMA)

_PATTERN_MESSAGES = {
    "ID": "use letters, digits, “-” and “_” only, starting with a letter or digit, at most 64 characters",
    "KEY": "use lower-case letters, digits and “-” only, like masip-stalking-screen, at most 64 characters",
    "VERSION": "use digits, letters, “.” and “-” only, like 1.2, at most 32 characters",
}
_TYPE_WORDS = {
    "string": "text",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping of fields",
}


def _path(parts: Any) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _quoted(value: Any) -> str:
    shown = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    if len(shown) > 60:
        shown = shown[:57] + "…"
    return f"“{shown}”"


def _schema_message(error: SchemaError) -> str:
    """The problem in words a manager can act on (jsonschema's own messages are for programmers)."""
    custom = error.schema.get("x-message") if isinstance(error.schema, dict) else None
    kind = error.validator
    if kind == "pattern" and custom in _PATTERN_MESSAGES:
        return f"{_quoted(error.instance)} is not allowed here: {_PATTERN_MESSAGES[custom]}"
    if custom and kind not in ("pattern", "type"):
        return str(custom)
    if kind == "required":
        missing = [name for name in error.validator_value if name not in error.instance]
        return f"“{missing[0] if missing else error.validator_value[0]}” is missing"
    if kind == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed))
        return (
            f"“{', '.join(map(str, extra))}” is not a field here (check the spelling); "
            f"the fields allowed are {', '.join(allowed)}"
        )
    if kind == "enum":
        return f"{_quoted(error.instance)} is not allowed here: use one of {', '.join(map(str, error.validator_value))}"
    if kind == "const":
        return f"must be {_quoted(error.validator_value)}"
    if kind == "type":
        wanted = error.validator_value
        words = " or ".join(_TYPE_WORDS.get(str(w), str(w)) for w in (wanted if isinstance(wanted, list) else [wanted]))
        if error.path and error.path[-1] == "version" and isinstance(error.instance, int | float):
            return f'write the version as text in quotes, like version: "{error.instance}" (YAML reads 1.10 as 1.1)'
        return f"should be {words}, not {_quoted(error.instance)}"
    if kind == "minimum":
        return f"must be {error.validator_value} or more, not {error.instance}"
    if kind == "maximum":
        return f"must be {error.validator_value:,} or less, not {error.instance}"
    if kind == "maxLength":
        return f"is longer than {error.validator_value:,} characters; shorten it"
    if kind == "minLength":
        return "is empty; fill it in"
    if kind == "minItems":
        return f"needs at least {error.validator_value}"
    if kind == "maxItems":
        return f"has more than {error.validator_value:,} entries, more than masip accepts"
    if kind == "uniqueItems":
        return "lists the same value twice"
    return error.message


def _schema_problems(data: Any) -> list[Problem]:
    problems = []
    for error in _VALIDATOR.iter_errors(data):
        problems.append(Problem(_path(error.absolute_path), _schema_message(error)))
    return sorted(set(problems), key=lambda p: (p.path, p.message))


# ---------------------------------------------------------------------------------------------
# Cross-checks: what the schema cannot say
# ---------------------------------------------------------------------------------------------


def _mappings(value: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    """The (index, mapping) pairs of a list, skipping anything the schema already refused."""
    if isinstance(value, list):
        for index, entry in enumerate(value):
            if isinstance(entry, dict):
                yield index, entry


def _answers_of(item: Mapping[str, Any]) -> list[str]:
    if item.get("type") == ItemType.YES_NO:
        return list(YES_NO_ANSWERS)
    return [str(o["value"]) for _, o in _mappings(item.get("options")) if isinstance(o.get("value"), str)]


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return Decimal(str(value))


def scored_by_default(item: Mapping[str, Any]) -> bool:
    """Whether an item without `scored` counts towards the score (definition._item's rule)."""
    return item.get("type") in (ItemType.YES_NO, ItemType.SINGLE_CHOICE, ItemType.MULTIPLE_CHOICE)


class _Checker:
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.problems: list[Problem] = []
        # Every item, in the order asked: (path, position, mapping).
        self.items: list[tuple[str, int, dict[str, Any]]] = []
        self.position: dict[str, int] = {}
        self.by_id: dict[str, dict[str, Any]] = {}

    def add(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def run(self) -> list[Problem]:
        self.sections()
        self.conditions()
        self.number_items()
        method = self.scoring()
        self.triggers(method)
        return self.problems

    def sections(self) -> None:
        seen_sections: set[str] = set()
        for s_index, section in _mappings(self.data.get("sections")):
            path = f"sections[{s_index}]"
            sid = section.get("id")
            if isinstance(sid, str):
                if sid in seen_sections:
                    self.add(f"{path}.id", f"“{sid}” is used twice; section ids must be unique")
                seen_sections.add(sid)
            for i_index, item in _mappings(section.get("items")):
                item_path = f"{path}.items[{i_index}]"
                iid = item.get("id")
                if isinstance(iid, str):
                    if iid in self.by_id:
                        self.add(f"{item_path}.id", f"“{iid}” is used twice; item ids must be unique")
                    else:
                        self.by_id[iid] = item
                        self.position[iid] = len(self.items)
                self.items.append((item_path, len(self.items), item))
                seen_values: set[str] = set()
                for o_index, option in _mappings(item.get("options")):
                    value = option.get("value")
                    if isinstance(value, str):
                        if value in seen_values:
                            self.add(
                                f"{item_path}.options[{o_index}].value",
                                f"“{value}” is used twice; the options of an item must have different values",
                            )
                        seen_values.add(value)
        if len(self.items) > MAX_ITEMS:
            self.add("sections", f"has {len(self.items):,} items in all; masip accepts at most {MAX_ITEMS}")

    def condition(self, path: str, condition: Any, *, asker: tuple[str, int] | None = None) -> None:
        """A condition on an answer: the item exists, can be a condition, comes before the item
        asking (for only_if), and `equals` is one of its answers."""
        if not isinstance(condition, dict) or not isinstance(condition.get("item"), str):
            return
        target_id = condition["item"]
        target = self.by_id.get(target_id)
        if target is None:
            self.add(f"{path}.item", f"“{target_id}” is not an item of this instrument")
            return
        if asker is not None:
            asker_id, asker_position = asker
            if target_id == asker_id:
                self.add(f"{path}.item", f"“{target_id}” cannot depend on its own answer")
                return
            if self.position[target_id] > asker_position:
                self.add(
                    f"{path}.item",
                    f"“{target_id}” comes later in the instrument; an item can only depend on one asked before it",
                )
                return
        if target.get("type") not in CONDITION_TYPES:
            self.add(f"{path}.item", f"“{target_id}” is a {target.get('type')} item; name a yes_no or choice item")
            return
        equals = condition.get("equals")
        answers = _answers_of(target)
        if isinstance(equals, str) and equals not in answers:
            self.add(
                f"{path}.equals",
                f"“{equals}” is not an answer of “{target_id}”; its answers are {', '.join(answers)}",
            )

    def conditions(self) -> None:
        for path, position, item in self.items:
            iid = item.get("id")
            if item.get("only_if") is not None and isinstance(iid, str):
                self.condition(f"{path}.only_if", item["only_if"], asker=(iid, position))

    def number_items(self) -> None:
        for path, _, item in self.items:
            low, high = _number(item.get("minimum")), _number(item.get("maximum"))
            if low is not None and high is not None and low > high:
                self.add(f"{path}.minimum", f"{low} is more than the maximum, {high}")
            if item.get("scored") and item.get("type") in (ItemType.DATE, ItemType.TEXT):
                self.add(f"{path}.scored", f"a {item['type']} item cannot be scored; remove “scored”")

    def scored_items(self, scoring: dict[str, Any]) -> list[dict[str, Any]]:
        chosen = scoring.get("items")
        if isinstance(chosen, list):
            return [self.by_id[i] for i in chosen if isinstance(i, str) and i in self.by_id]
        return [item for _, _, item in self.items if item.get("scored", scored_by_default(item))]

    def scoring(self) -> str | None:
        scoring = self.data.get("scoring")
        if scoring is None:
            return ScoringMethod.NONE
        if not isinstance(scoring, dict) or scoring.get("method") not in list(ScoringMethod):
            return None
        method = scoring["method"]
        chosen = scoring.get("items")
        seen: set[str] = set()
        for index, item_id in enumerate(chosen if isinstance(chosen, list) else []):
            if not isinstance(item_id, str):
                continue
            path = f"scoring.items[{index}]"
            if item_id in seen:
                self.add(path, f"“{item_id}” is listed twice")
            seen.add(item_id)
            item = self.by_id.get(item_id)
            if item is None:
                self.add(path, f"“{item_id}” is not an item of this instrument")
            elif item.get("type") in (ItemType.DATE, ItemType.TEXT):
                self.add(path, f"“{item_id}” is a {item['type']} item, which cannot be scored")
        bands = scoring.get("bands")
        if method == ScoringMethod.NONE:
            if bands is not None:
                self.add("scoring.bands", "an instrument with method none has no score, so no bands; remove them")
            return method
        if bands is None:
            self.add("scoring", f"“bands” is missing: method {method} needs bands for its scores to fall in")
            return method
        scored = self.scored_items(scoring)
        if method == ScoringMethod.COUNT_YES and not any(i.get("type") == ItemType.YES_NO for i in scored):
            self.add("scoring.method", "count_yes needs at least one scored yes_no item")
        self.bands(method, bands, scored)
        return method

    def lowest_score(self, method: str, scored: list[dict[str, Any]]) -> Decimal | None:
        """The lowest score the answers can give (None when a number item leaves it unbounded)."""
        if method == ScoringMethod.COUNT_YES:
            return Decimal(0)
        lowest = Decimal(0)
        for item in scored:
            if item.get("type") != ItemType.NUMBER:
                continue
            weight = _number(item.get("weight"))
            weight = Decimal(1) if weight is None else weight
            if weight == 0:
                continue
            minimum = _number(item.get("minimum"))
            if minimum is None:
                return None
            lowest += min(Decimal(0), minimum * weight)
        return lowest

    def highest_score(self, method: str, scored: list[dict[str, Any]]) -> Decimal | None:
        """The highest score the answers can give (None when a number item leaves it unbounded)."""
        if method == ScoringMethod.COUNT_YES:
            return Decimal(len(scored))
        highest = Decimal(0)
        for item in scored:
            weight = _number(item.get("weight"))
            weight = Decimal(1) if weight is None else weight
            options = [_number(o.get("weight")) or Decimal(0) for _, o in _mappings(item.get("options"))]
            kind = item.get("type")
            if kind == ItemType.YES_NO:
                highest += weight
            elif kind == ItemType.SINGLE_CHOICE:
                highest += max(options, default=Decimal(0))
            elif kind == ItemType.MULTIPLE_CHOICE:
                highest += sum(options, Decimal(0))
            elif kind == ItemType.NUMBER and weight:
                bounds = [_number(item.get("minimum")), _number(item.get("maximum"))]
                if None in bounds:
                    return None
                highest += max(Decimal(0), *(b * weight for b in bounds if b is not None))
        return highest

    def bands(self, method: str, bands: Any, scored: list[dict[str, Any]]) -> None:
        entries = list(_mappings(bands))
        seen: set[str] = set()
        for index, band in entries:
            bid = band.get("id")
            if isinstance(bid, str):
                if bid in seen:
                    self.add(f"scoring.bands[{index}].id", f"“{bid}” is used twice; band ids must be unique")
                seen.add(bid)
        for (_, before), (index, band) in itertools.pairwise(entries):
            low, high = _number(before.get("minimum")), _number(band.get("minimum"))
            if low is not None and high is not None and high <= low:
                self.add(
                    f"scoring.bands[{index}].minimum",
                    f"threshold out of order: {high} is not more than the band before it ({low}); "
                    "list the bands from the lowest score up, each starting higher than the last",
                )
            levels = (str(before.get("level")), str(band.get("level")))
            if all(level in LEVELS for level in levels) and level_rank(levels[1]) < level_rank(levels[0]):
                self.add(
                    f"scoring.bands[{index}].level",
                    f"threshold out of order: level {levels[1]} comes after {levels[0]}; "
                    "a higher score can never mean a lower level",
                )
        if not entries:
            return
        first_index, first = entries[0]
        first_minimum = _number(first.get("minimum"))
        lowest = self.lowest_score(method, scored)
        if lowest is None:
            self.add(
                "scoring.bands",
                "a scored number item has no “minimum”, so scores have no floor; give it a minimum",
            )
        elif first_minimum is not None and first_minimum != lowest:
            self.add(
                f"scoring.bands[{first_index}].minimum",
                f"the first band must start at {lowest}, the lowest possible score, so every score falls in a band",
            )
        highest = self.highest_score(method, scored)
        if highest is None:
            self.add(
                "scoring.bands",
                "a scored number item has no “maximum”, so scores have no ceiling; give it a maximum",
            )
        elif max(highest, -(lowest or 0)) > MAX_STORED_SCORE:
            self.add(
                "scoring",
                f"scores could reach {highest:,}, more than the {MAX_STORED_SCORE:,} masip stores; "
                "use smaller weights or narrower number ranges",
            )
        if method == ScoringMethod.COUNT_YES:
            most = sum(1 for item in scored if item.get("type") == ItemType.YES_NO)
            for index, band in entries:
                minimum = _number(band.get("minimum"))
                if minimum is not None and minimum > most:
                    self.add(
                        f"scoring.bands[{index}].minimum",
                        f"needs {minimum} yes answers but the instrument has only {most} scored yes_no items",
                    )

    def triggers(self, method: str | None) -> None:
        for index, trigger in _mappings(self.data.get("triggers")):
            when = trigger.get("when")
            path = f"triggers[{index}].when"
            if isinstance(when, dict) and "level_at_least" in when and method == ScoringMethod.NONE:
                self.add(path, "level_at_least needs a score: this instrument's scoring method is none")
            self.condition(path, when)


def _size_problems(value: Any, path: str = "", depth: int = 0) -> Iterator[Problem]:
    """Refuse what the schema would choke on or store badly: deep nesting, keys that are not
    text, very long text, numbers that are not finite."""
    if depth > MAX_DEPTH:
        yield Problem(path, f"is nested more than {MAX_DEPTH} levels deep")
        return
    if isinstance(value, dict):
        for key, entry in value.items():
            if not isinstance(key, str):
                yield Problem(path, f"has the field name {_quoted(key)}; field names must be text")
                continue
            if len(key) > 100:
                yield Problem(path, f"has a field name longer than 100 characters ({_quoted(key)})")
                continue
            yield from _size_problems(entry, f"{path}.{key}" if path else key, depth + 1)
    elif isinstance(value, list):
        if len(value) > MAX_ITEMS * 2:
            yield Problem(path, f"has {len(value):,} entries, more than masip accepts")
            return
        for index, entry in enumerate(value):
            yield from _size_problems(entry, f"{path}[{index}]", depth + 1)
    elif isinstance(value, str) and len(value) > MAX_TEXT:
        yield Problem(path, f"is {len(value):,} characters long; masip accepts at most {MAX_TEXT:,}")
    elif isinstance(value, float) and not math.isfinite(value):
        yield Problem(path, "is not a finite number")


def validate_definition(data: Any) -> list[Problem]:
    """Every problem with a parsed definition file (empty when it can be loaded)."""
    if not isinstance(data, dict):
        return [Problem("", f"The file must be a mapping of fields (id, name, version...), not {_kind(data)}.")]
    size = list(_size_problems(data))
    if size:
        return size  # the rest would only repeat these, slowly
    problems = _schema_problems(data)
    problems += _Checker(data).run()
    unique: dict[tuple[str, str], Problem] = {(p.path, p.message): p for p in problems}
    return list(unique.values())


def _kind(data: Any) -> str:
    if isinstance(data, list):
        return "a list"
    if data is None:
        return "nothing"
    return f"a single value ({_quoted(data)})"


# ---------------------------------------------------------------------------------------------
# Reading a file safely
# ---------------------------------------------------------------------------------------------


class _Refused(Exception):
    pass


class _PlainLoader(yaml.SafeLoader):
    """SafeLoader that also refuses anchors, aliases and tags, reads only true/false as
    booleans (YAML 1.1 reads yes/no/on/off as booleans too: `equals: yes` must stay "yes"),
    leaves dates as text, and refuses a field given twice in one mapping."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        mark = event.start_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}"
        if isinstance(event, yaml.AliasEvent):
            raise _Refused(
                f"{where}: the file uses a YAML alias (*{event.anchor}); masip does not accept anchors or "
                "aliases in a definition file. Write each value out in full."
            )
        if getattr(event, "anchor", None) is not None:
            raise _Refused(
                f"{where}: the file uses a YAML anchor (&{event.anchor}); masip does not accept anchors or "
                "aliases in a definition file. Write each value out in full."
            )
        tag = getattr(event, "tag", None)
        if tag is not None:
            raise _Refused(
                f"{where}: the file uses the YAML tag {tag}; masip does not accept tags in a definition file "
                "(they can build objects). Remove it and write the plain value."
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        keys = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, str) and key in keys:
                mark = key_node.start_mark
                raise _Refused(
                    f"line {mark.line + 1}, column {mark.column + 1}: the field “{key}” is given twice in the "
                    "same place; keep one."
                )
            keys.add(key)
        return super().construct_mapping(node, deep=deep)


_PlainLoader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:merge")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_PlainLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _Refused(f"the field “{key}” is given twice in the same place; keep one.")
        result[key] = value
    return result


def _refuse_constant(name: str) -> Any:
    raise _Refused(f"the file contains {name}, which is not a number masip accepts.")


def _looks_like_json(filename: str, text: str) -> bool:
    lower = filename.lower()
    if lower.endswith(".json"):
        return True
    if lower.endswith((".yaml", ".yml")):
        return False
    return text.lstrip().startswith("{")


def read_file(content: bytes, filename: str) -> Any:
    """The parsed content of a definition file, or DefinitionError with the reason it cannot be
    read. Checks the size first, before anything is decoded or parsed."""
    limit = max_bytes()
    if len(content) > limit:
        raise DefinitionError([Problem("", too_large_message(limit))])
    if not content.strip():
        raise DefinitionError([Problem("", "The file is empty. Check you chose the definition file.")])
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DefinitionError(
            [
                Problem(
                    "",
                    f"The file is not UTF-8 text (byte {exc.start + 1} of the file cannot be read). "
                    "Save it as UTF-8 and load it again.",
                )
            ]
        ) from None
    try:
        if _looks_like_json(filename, text):
            try:
                return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_refuse_constant)
            except json.JSONDecodeError as exc:
                raise _Refused(f"line {exc.lineno}, column {exc.colno}: this is not valid JSON ({exc.msg}).") from None
        try:
            return yaml.load(text, Loader=_PlainLoader)  # noqa: S506  # _PlainLoader is SafeLoader, stricter
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark
            where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
            raise _Refused(f"{where}this is not valid YAML ({exc.problem}).") from None
        except yaml.YAMLError as exc:
            raise _Refused(f"this is not valid YAML ({exc}).") from None
    except _Refused as refused:
        raise DefinitionError([Problem("", str(refused))]) from None
    except ValueError:
        # e.g. an integer of thousands of digits, which Python refuses to convert.
        raise DefinitionError([Problem("", "The file contains a number too long to read.")]) from None
    except RecursionError:
        raise DefinitionError([Problem("", f"The file is nested too deeply (more than {MAX_DEPTH} levels).")]) from None


# ---------------------------------------------------------------------------------------------
# Normalising
# ---------------------------------------------------------------------------------------------


def normalise(data: dict[str, Any]) -> dict[str, Any]:
    """The definition as stored: every default written out, so that what a stored version means
    never depends on the defaults of a later masip."""
    result = json.loads(json.dumps(data))
    result.setdefault("illustrative", False)
    result.setdefault("compartment", "team")
    result.setdefault("description", "")
    result.setdefault("scoring", {"method": ScoringMethod.NONE.value})
    result.setdefault("triggers", [])
    for section in result["sections"]:
        section.setdefault("help", "")
        for item in section["items"]:
            item.setdefault("help", "")
            item.setdefault("required", True)
            item.setdefault("scored", scored_by_default(item))
            if item["type"] in (ItemType.YES_NO, ItemType.NUMBER):
                item.setdefault("weight", 1)
            for option in item.get("options", ()):
                option.setdefault("weight", 0)
    return result


def definition_from_text(text: bytes, filename: str) -> tuple[dict[str, Any], Definition]:
    """Read, check and normalise a definition file: its stored form and its parsed Definition.
    Raises DefinitionError listing every problem."""
    data = read_file(text, filename)
    problems = validate_definition(data)
    if problems:
        raise DefinitionError(problems)
    normalised = normalise(data)
    return normalised, parse_definition(normalised)
