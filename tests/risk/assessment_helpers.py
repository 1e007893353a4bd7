"""Instrument versions stored straight from a definition dictionary (no file, no loader), and
the people and cases the assessment tests need."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from masip.accounts.models import Role, Unit
from masip.risk.models import Instrument, InstrumentVersion

ALL_CASE_ROLES = [
    Role.UNIT_MANAGER,
    Role.POLICE_INVESTIGATOR,
    Role.CLINICIAN,
    Role.OUTREACH_WORKER,
    Role.STALKING_ADVOCATE,
    Role.SUPPORT_OFFICER,
]


def yes_no_items(count: int, prefix: str = "q") -> list[dict[str, Any]]:
    return [
        {"id": f"{prefix}{n}", "type": "yes_no", "text": f"Illustrative question {n}?", "help": f"Context note {n}."}
        for n in range(1, count + 1)
    ]


def count_yes_definition(**overrides: Any) -> dict[str, Any]:
    """An illustrative count-yes screen of 27 yes/no questions: 14 or more "yes" is high, 6 or more
    moderate; a yes to question 8 suggests the stalking screen."""
    definition: dict[str, Any] = {
        "id": "screen",
        "name": "Illustrative screen",
        "version": "1",
        "licence": "masip illustrative wording; no licence needed.",
        "illustrative": True,
        "roles": [str(r) for r in ALL_CASE_ROLES],
        "compartment": "team",
        "description": "Illustrative questions for tests.",
        "sections": [{"id": "main", "title": "Questions", "items": yes_no_items(27)}],
        "scoring": {
            "method": "count_yes",
            "bands": [
                {"id": "standard", "label": "Standard", "level": "low", "minimum": 0},
                {"id": "medium", "label": "Medium", "level": "moderate", "minimum": 6},
                {"id": "visible_high", "label": "Visible high risk", "level": "high", "minimum": 14},
            ],
        },
        "triggers": [
            {
                "when": {"item": "q8", "equals": "yes"},
                "action": "start_instrument",
                "instrument": "stalking",
                "message": "Start the stalking screen.",
            },
            {
                "when": {"level_at_least": "high"},
                "action": "prompt_formulation",
                "message": "A full formulation is recommended.",
            },
        ],
    }
    definition.update(overrides)
    return definition


def judgement_definition(**overrides: Any) -> dict[str, Any]:
    """An unscored, clinician-only structured judgement (no compartment named: kept in health)."""
    definition: dict[str, Any] = {
        "id": "spj",
        "name": "Illustrative structured judgement",
        "version": "1",
        "illustrative": True,
        "roles": [str(Role.CLINICIAN)],
        "sections": [
            {
                "id": "history",
                "title": "History",
                "items": [
                    {"id": "ex_partner", "type": "yes_no", "text": "Is the stalker an ex-partner?"},
                    {
                        "id": "separation_date",
                        "type": "date",
                        "text": "When did the relationship end?",
                        "only_if": {"item": "ex_partner", "equals": "yes"},
                    },
                    {
                        "id": "motive",
                        "type": "single_choice",
                        "text": "What seems to drive the behaviour?",
                        "options": [
                            {"value": "reconcile", "label": "Wanting to reconcile"},
                            {"value": "revenge", "label": "Revenge"},
                        ],
                    },
                    {"id": "notes", "type": "text", "text": "Anything else", "required": False},
                ],
            }
        ],
    }
    definition.update(overrides)
    return definition


def store_version(
    definition: dict[str, Any], *, unit: Unit | None = None, withdrawn: bool = False
) -> InstrumentVersion:
    """The Instrument (found or made by key) and a new InstrumentVersion holding `definition`."""
    from django.utils import timezone

    instrument, _ = Instrument.objects.get_or_create(
        unit=unit, key=definition["id"], defaults={"name": definition["name"]}
    )
    text = json.dumps(definition, sort_keys=True)
    return InstrumentVersion.objects.create(
        instrument=instrument,
        version=str(definition["version"]),
        definition=definition,
        source_sha256=hashlib.sha256(text.encode()).hexdigest(),
        licence=definition.get("licence", ""),
        illustrative=definition.get("illustrative", False),
        withdrawn_at=timezone.now() if withdrawn else None,
    )


def answers(yes: int, total: int = 27) -> dict[str, str]:
    """The first `yes` questions answered yes, the rest no."""
    return {f"q{n}": "yes" if n <= yes else "no" for n in range(1, total + 1)}
