"""The red-flag rules file: its schema, its checks, and the rules in force for a unit.

Rules are declarative data (data/rules.yaml is masip's own; a unit may load a tuned copy with
`manage.py load_red_flag_rules FILE --unit CODE`). A rule names one of a fixed set of rule kinds
implemented in Python (`KINDS`), gives that kind's parameters as plain numbers, codes and lists,
and words its explanation as a template whose `{slots}` the engine fills. Nothing in a rules file
is ever evaluated: no expressions, no code, no attribute access in templates. A number written as
a formula ("7 * 2", "__import__('os')") is simply not a number, and is refused as one.

The file is read with the instrument loader's safe reader (`masip.risk.schema.read_file`: size
checked first, no YAML tags, anchors or aliases, no field given twice), then checked against
`SCHEMA` (JSON Schema, unknown fields refused) and by cross-checks (behaviour codes, template
slots, keys used twice). Every problem is reported with its path, so a file is fixed in one go.
"""

from __future__ import annotations

import hashlib
import json
import string
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

from masip.audit.models import AuditAction
from masip.audit.services import audit_record
from masip.cases.models import ParticipantRole
from masip.people.models import PersonFlag
from masip.referrals.models import Relationship
from masip.risk.models import RiskEventKind
from masip.risk.schema import DefinitionError, Problem, read_file
from masip.timeline.models import RuleSet
from masip.timeline.taxonomy import taxonomy

RULES_FILE = Path(__file__).resolve().parent / "data" / "rules.yaml"


class Kind:
    BEHAVIOUR_PRESENT = "behaviour_present"
    FREQUENCY_ESCALATION = "frequency_escalation"
    PROXIMITY_ESCALATION = "proximity_escalation"
    RISK_EVENT = "risk_event"
    PERSON_HISTORY = "person_history"
    ASSESSMENT_ANSWER = "assessment_answer"


SEVERITIES = ("high", "medium")

# The slots each rule kind fills, and so the only names its explanation may use. `context` is
# every kind's: the case's context conditions that hold ("; prior intimate relationship").
SLOTS: dict[str, frozenset[str]] = {
    Kind.BEHAVIOUR_PRESENT: frozenset({"behaviour", "date", "order", "context"}),
    Kind.FREQUENCY_ESCALATION: frozenset(
        {"count", "window_days", "baseline", "baseline_days", "factor", "from_date", "to_date", "context"}
    ),
    Kind.PROXIMITY_ESCALATION: frozenset(
        {"from_behaviour", "to_behaviour", "from_date", "to_date", "days", "within_days", "context"}
    ),
    Kind.RISK_EVENT: frozenset({"event", "date", "months", "context"}),
    Kind.PERSON_HISTORY: frozenset({"role", "flags", "cases", "context"}),
    Kind.ASSESSMENT_ANSWER: frozenset({"instrument", "date", "items", "context"}),
}

_CODE = {"type": "string", "pattern": "^[a-z0-9_]{1,48}$"}
_KEY = {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,63}$"}
_ITEM_ID = {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"}


def _int(low: int, high: int) -> dict[str, Any]:
    return {"type": "integer", "minimum": low, "maximum": high}


def _codes(choices: list[str] | None = None, *, min_items: int = 1) -> dict[str, Any]:
    items = {"enum": choices} if choices is not None else _CODE
    return {"type": "array", "minItems": min_items, "maxItems": 50, "uniqueItems": True, "items": items}


def _params(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


PARAMETERS: dict[str, dict[str, Any]] = {
    Kind.BEHAVIOUR_PRESENT: _params({"behaviours": _codes()}, ["behaviours"]),
    Kind.FREQUENCY_ESCALATION: _params(
        {
            "behaviours": _codes(),
            "window_days": _int(1, 365),
            "baseline_windows": _int(1, 12),
            "factor": {"type": "number", "minimum": 1.1, "maximum": 100},
            "min_count": _int(2, 10_000),
        },
        ["window_days", "baseline_windows", "factor", "min_count"],
    ),
    Kind.PROXIMITY_ESCALATION: _params(
        {"from_max": _int(1, 3), "to_min": _int(2, 4), "within_days": _int(1, 365)},
        ["from_max", "to_min", "within_days"],
    ),
    Kind.RISK_EVENT: _params(
        {
            "event_kinds": _codes(list(RiskEventKind.values), min_items=0),
            "participant_roles": _codes(list(ParticipantRole.values), min_items=0),
            "within_months": _int(1, 60),
        },
        ["within_months"],
    ),
    Kind.PERSON_HISTORY: _params(
        {
            "roles": _codes([ParticipantRole.PERPETRATOR, ParticipantRole.SUSPECT]),
            "flags": _codes(list(PersonFlag.values)),
            "other_cases": {"type": "boolean"},
        },
        ["roles"],
    ),
    Kind.ASSESSMENT_ANSWER: _params(
        {
            "instrument": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,63}$"},
            "items": {"type": "array", "minItems": 1, "maxItems": 50, "uniqueItems": True, "items": _ITEM_ID},
            "answer": {"enum": ["yes", "no"]},
        },
        ["instrument", "items"],
    ),
}

_RULE = {
    "type": "object",
    "properties": {
        "key": _KEY,
        "title": {"type": "string", "minLength": 1, "maxLength": 200},
        "kind": {"enum": list(PARAMETERS)},
        "parameters": {"type": "object"},
        "explanation": {"type": "string", "minLength": 1, "maxLength": 1000},
        "severity": {"enum": list(SEVERITIES)},
        "for_panel": {"type": "boolean"},
    },
    "required": ["key", "title", "kind", "parameters", "explanation", "severity", "for_panel"],
    "additionalProperties": False,
}

_CONTEXT = {
    "type": "object",
    "properties": {
        "key": _KEY,
        "kind": {"enum": ["relationship"]},
        "relationships": _codes(list(Relationship.values)),
        "text": {"type": "string", "minLength": 1, "maxLength": 200},
    },
    "required": ["key", "kind", "relationships", "text"],
    "additionalProperties": False,
}

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "masip red-flag rules",
    "type": "object",
    "properties": {
        "version": {"type": "string", "pattern": "^[0-9A-Za-z][0-9A-Za-z.-]{0,31}$"},
        "description": {"type": "string", "maxLength": 5000},
        "context": {"type": "array", "maxItems": 20, "items": _CONTEXT},
        "rules": {"type": "array", "minItems": 1, "maxItems": 200, "items": _RULE},
    },
    "required": ["version", "rules"],
    "additionalProperties": False,
}

_VALIDATOR = Draft202012Validator(SCHEMA)


def _path(parts: Any) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _message(error: Any) -> str:
    """A schema error in words that say what to write instead."""
    if error.validator == "type":
        wanted = {"integer": "a whole number", "number": "a number", "string": "text", "boolean": "true or false"}
        kind = error.validator_value
        if kind in ("integer", "number"):
            return (
                f"must be {wanted[kind]}, written plainly (for example 14), not {json.dumps(error.instance)}. "
                "Rules are declarative: masip never evaluates formulas or code in a rules file."
            )
        return f"must be {wanted.get(kind, kind)}"
    if error.validator == "additionalProperties":
        allowed = ", ".join(sorted(error.schema.get("properties", {})))
        unknown = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return f"has the unknown field(s) {', '.join(unknown)}; the fields allowed here are: {allowed}"
    if error.validator == "enum":
        return f"is {json.dumps(error.instance)}; choose one of: {', '.join(map(str, error.validator_value))}"
    if error.validator == "required":
        return error.message.replace("is a required property", "is missing: add it")
    if error.validator in ("minimum", "maximum"):
        side = "at least" if error.validator == "minimum" else "at most"
        return f"is {error.instance}; it must be {side} {error.validator_value}"
    if error.validator == "pattern":
        return f"{json.dumps(error.instance)} is not a valid key or code (lower-case letters, digits, - or _)"
    return str(error.message)


def _schema_problems(data: Any, schema: Any, prefix: str = "") -> list[Problem]:
    validator = _VALIDATOR if schema is None else Draft202012Validator(schema)
    problems = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        path = _path(error.absolute_path)
        problems.append(Problem(f"{prefix}.{path}" if prefix and path else prefix or path, _message(error)))
    return problems


def template_slots(template: str) -> list[str]:
    """The slot names a template uses. Raises ValueError for anything but plain `{name}` slots."""
    names = []
    for _, name, spec, conversion in string.Formatter().parse(template):
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise ValueError(f"{{{name}{'!' + conversion if conversion else ''}{':' + spec if spec else ''}}}")
        names.append(name)
    return names


def validate_rules(data: Any) -> list[Problem]:
    """Every problem with a parsed rules file (empty when it can be loaded)."""
    if not isinstance(data, dict):
        return [Problem("", "The file must be a mapping with a version and a list of rules.")]
    problems = _schema_problems(data, None)
    if problems:
        return problems
    codes = taxonomy().codes
    seen: set[str] = set()
    for index, rule in enumerate(data["rules"]):
        path = f"rules[{index}]"
        if rule["key"] in seen:
            problems.append(Problem(f"{path}.key", f"the key {rule['key']} is used by another rule; keys must differ"))
        seen.add(rule["key"])
        kind_problems = _schema_problems(rule["parameters"], PARAMETERS[rule["kind"]], f"{path}.parameters")
        problems += kind_problems
        for code in rule["parameters"].get("behaviours", []) if not kind_problems else []:
            if code not in codes:
                problems.append(
                    Problem(f"{path}.parameters.behaviours", f"{code} is not a behaviour code of the taxonomy")
                )
        try:
            names = template_slots(rule["explanation"])
        except ValueError as bad:
            problems.append(
                Problem(
                    f"{path}.explanation",
                    f"{bad} is not a plain slot; write slots as {{name}} only (no formatting, indexing or code)",
                )
            )
            continue
        unknown = sorted(set(names) - SLOTS[rule["kind"]])
        if unknown:
            problems.append(
                Problem(
                    f"{path}.explanation",
                    f"uses the slot(s) {', '.join(unknown)}, which a {rule['kind']} rule does not fill; "
                    f"its slots are: {', '.join(sorted(SLOTS[rule['kind']]))}",
                )
            )
        params = rule["parameters"]
        if rule["kind"] == Kind.PROXIMITY_ESCALATION and not kind_problems and params["to_min"] <= params["from_max"]:
            problems.append(Problem(f"{path}.parameters.to_min", "must be higher up the ladder than from_max"))
        if rule["kind"] == Kind.RISK_EVENT and not kind_problems:
            params = rule["parameters"]
            if not params.get("event_kinds") and not params.get("participant_roles"):
                problems.append(Problem(f"{path}.parameters", "give event_kinds, participant_roles or both"))
        if rule["kind"] == Kind.PERSON_HISTORY and not kind_problems:
            params = rule["parameters"]
            if bool(params.get("flags")) == bool(params.get("other_cases")):
                problems.append(Problem(f"{path}.parameters", "give either flags or other_cases: true, not both"))
    contexts = [c["key"] for c in data.get("context", [])]
    if len(set(contexts)) != len(contexts):
        problems.append(Problem("context", "two context conditions share a key; keys must differ"))
    return problems


# --- the parsed rules -----------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    key: str
    title: str
    kind: str
    parameters: dict[str, Any]
    explanation: str
    severity: str
    for_panel: bool


@dataclass(frozen=True)
class ContextCondition:
    key: str
    kind: str
    relationships: frozenset[str]
    text: str


@dataclass(frozen=True)
class Rules:
    version: str
    rules: tuple[Rule, ...]
    context: tuple[ContextCondition, ...]


def parse_rules(data: dict[str, Any]) -> Rules:
    """Rules from a checked definition (as stored)."""
    return Rules(
        version=data["version"],
        rules=tuple(
            Rule(
                key=r["key"],
                title=r["title"],
                kind=r["kind"],
                parameters=dict(r["parameters"]),
                explanation=r["explanation"],
                severity=r["severity"],
                for_panel=r["for_panel"],
            )
            for r in data["rules"]
        ),
        context=tuple(
            ContextCondition(c["key"], c["kind"], frozenset(c["relationships"]), c["text"])
            for c in data.get("context", [])
        ),
    )


def rules_from_text(content: bytes, filename: str) -> dict[str, Any]:
    """Read and check a rules file; its definition as stored. Raises DefinitionError listing
    every problem."""
    data = read_file(content, filename)
    problems = validate_rules(data)
    if problems:
        raise DefinitionError(problems)
    stored: dict[str, Any] = json.loads(json.dumps(data))
    return stored


@cache
def shipped_rules() -> Rules:
    """masip's own rules (data/rules.yaml), read once per process."""
    return parse_rules(rules_from_text(RULES_FILE.read_bytes(), RULES_FILE.name))


def rules_for(*, unit_id: int) -> Rules:
    """The rules in force for a unit: the latest version it loaded, else masip's own. One query."""
    latest = RuleSet.objects.filter(unit_id=unit_id).order_by("-created_at", "-pk").values("definition").first()
    return parse_rules(latest["definition"]) if latest else shipped_rules()


def ruleset_load(*, content: bytes, filename: str, unit: Any, actor: Any = None) -> RuleSet:
    """Store a unit's tuned rules file as a new RuleSet version, in force from now.

    Guarantees: the file passes every check (else DefinitionError listing each problem and
    nothing is stored); a version once loaded for the unit is never replaced (a second load of
    the same version is refused: give the file a new version); the load is audited.
    """
    definition = rules_from_text(content, filename)
    version = definition["version"]
    if RuleSet.objects.filter(unit=unit, version=version).exists():
        raise DefinitionError(
            [
                Problem(
                    "version", f"version {version} is already loaded for {unit}; versions never change, give a new one"
                )
            ]
        )
    try:
        with transaction.atomic():
            ruleset = RuleSet.objects.create(
                unit=unit,
                version=version,
                definition=definition,
                source_sha256=hashlib.sha256(content).hexdigest(),
                loaded_by=actor,
            )
            audit_record(
                action=AuditAction.CREATE, actor=actor, unit=unit, obj=ruleset, fields=["version", "definition"]
            )
    except IntegrityError:
        raise DefinitionError([Problem("version", f"version {version} is already loaded for {unit}")]) from None
    return ruleset
