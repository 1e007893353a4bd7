"""Definition files for the risk tests: a small valid one, as a dict and as YAML bytes."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

SHIPPED = Path(__file__).resolve().parents[2] / "src" / "masip" / "risk" / "shipped"

SMALL: dict[str, Any] = {
    "id": "unit-screen",
    "name": "Unit screen",
    "version": "1.0",
    "licence": "Licensed to the unit for testing.",
    "roles": ["clinician", "stalking_advocate"],
    "sections": [
        {
            "id": "s1",
            "title": "Questions",
            "items": [
                {"id": "q1", "type": "yes_no", "text": "First question?"},
                {"id": "q2", "type": "yes_no", "text": "Second question?"},
                {"id": "q3", "type": "yes_no", "text": "Third question?", "only_if": {"item": "q1", "equals": "yes"}},
            ],
        }
    ],
    "scoring": {
        "method": "count_yes",
        "bands": [
            {"id": "low", "label": "Low", "level": "low", "minimum": 0},
            {"id": "high", "label": "High", "level": "high", "minimum": 2},
        ],
    },
}


def small(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(SMALL)
    data.update(changes)
    return data


def as_bytes(data: dict[str, Any]) -> bytes:
    return json.dumps(data).encode()


@pytest.fixture
def small_definition() -> dict[str, Any]:
    return small()
