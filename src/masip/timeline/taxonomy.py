"""The behaviour taxonomy: codes, labels, groups and proximity, kept as data in
data/behaviours.yaml and mirrored into the BehaviourType table on every migrate."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

TAXONOMY_FILE = Path(__file__).resolve().parent / "data" / "behaviours.yaml"

# How close a behaviour brings the stalker to the victim (the proximity ladder of escalation).
PROXIMITY_LABELS = {
    0: "No contact",
    1: "Remote contact",
    2: "Surveillance",
    3: "Approach",
    4: "Physical contact",
}


@dataclass(frozen=True)
class Behaviour:
    code: str
    label: str
    group: str
    proximity: int
    active: bool = True


@dataclass(frozen=True)
class Taxonomy:
    groups: dict[str, str]
    behaviours: tuple[Behaviour, ...]

    def get(self, code: str) -> Behaviour | None:
        return next((b for b in self.behaviours if b.code == code), None)

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(b.code for b in self.behaviours)


@cache
def taxonomy() -> Taxonomy:
    """The taxonomy file, read once per process."""
    data: dict[str, Any] = yaml.safe_load(TAXONOMY_FILE.read_text(encoding="utf-8"))
    groups = dict(data["groups"])
    behaviours = tuple(
        Behaviour(
            code=b["code"],
            label=b["label"],
            group=b["group"],
            proximity=int(b["proximity"]),
            active=b.get("active", True),
        )
        for b in data["behaviours"]
    )
    unknown = {b.group for b in behaviours} - groups.keys()
    if unknown:
        raise ValueError(f"{TAXONOMY_FILE}: behaviours name groups that are not listed: {sorted(unknown)}")
    return Taxonomy(groups=groups, behaviours=behaviours)


def behaviours_sync(**kwargs: Any) -> None:
    """Create or update a BehaviourType row for each behaviour in the file; rows the file no
    longer lists are kept (entries name them) but stop being offered."""
    from masip.timeline.models import BehaviourType

    known = taxonomy()
    for position, behaviour in enumerate(known.behaviours):
        BehaviourType.objects.update_or_create(
            code=behaviour.code,
            defaults={
                "label": behaviour.label,
                "group": behaviour.group,
                "proximity": behaviour.proximity,
                "active": behaviour.active,
                "position": position,
            },
        )
    BehaviourType.objects.exclude(code__in=known.codes).update(active=False)
