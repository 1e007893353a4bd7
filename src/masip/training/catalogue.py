"""masip's illustrative topic catalogue (data/catalogue.yaml), read and checked. Pure: no
database. `catalogue_install` in services_catalogue writes it into a unit."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

CATALOGUE_PATH = Path(__file__).parent / "data" / "catalogue.yaml"
AUDIENCES = ("managers", "spocs", "front_line")
KINDS = ("opening", "selectable")
FORMATS = ("presentation", "workshop")
RELEVANCES = ("core", "relevant", "background", "not_relevant")
_KEY = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class CatalogueError(ValueError):
    """The catalogue file is not as it should be; the message names the topic and the field."""


@dataclass(frozen=True)
class CatalogueTopic:
    key: str
    title: str
    summary: str
    kind: str
    format: str
    min_minutes: int
    max_minutes: int
    sequence: int
    outcomes: tuple[str, ...]
    audiences: dict[str, tuple[str, int]]


def _minutes(raw: Any, where: str, name: str) -> int:
    if not isinstance(raw, int) or isinstance(raw, bool) or not 5 <= raw <= 360 or raw % 5:
        raise CatalogueError(f"{where}: '{name}' must be a whole number of minutes, a multiple of 5 from 5 to 360.")
    return raw


def _text(raw: Any, where: str, name: str, *, limit: int, required: bool = True) -> str:
    if raw is None and not required:
        return ""
    if not isinstance(raw, str) or (required and not raw.strip()) or len(raw) > limit:
        raise CatalogueError(f"{where}: '{name}' must be text of 1 to {limit} characters.")
    return raw.strip()


def _topic(raw: Any, index: int) -> CatalogueTopic:
    if not isinstance(raw, dict):
        raise CatalogueError(f"Topic {index}: each topic must be a mapping of fields.")
    key = raw.get("key")
    if not isinstance(key, str) or not _KEY.match(key) or len(key) > 60:
        raise CatalogueError(f"Topic {index}: 'key' must be lower-case letters, digits and hyphens (60 at most).")
    where = f"Topic '{key}'"
    unknown = sorted(set(raw) - {"key", "title", "summary", "kind", "format", "min_minutes", "max_minutes",
                                 "sequence", "outcomes", "audiences"})  # fmt: skip
    if unknown:
        raise CatalogueError(f"{where}: unknown field '{unknown[0]}'.")
    kind = raw.get("kind")
    if kind not in KINDS:
        raise CatalogueError(f"{where}: 'kind' must be one of {', '.join(KINDS)}.")
    topic_format = raw.get("format")
    if topic_format not in FORMATS:
        raise CatalogueError(f"{where}: 'format' must be one of {', '.join(FORMATS)}.")
    low = _minutes(raw.get("min_minutes"), where, "min_minutes")
    high = _minutes(raw.get("max_minutes"), where, "max_minutes")
    if low > high:
        raise CatalogueError(f"{where}: 'min_minutes' ({low}) is more than 'max_minutes' ({high}).")
    sequence = raw.get("sequence")
    if not isinstance(sequence, int) or isinstance(sequence, bool) or not 0 <= sequence <= 32767:
        raise CatalogueError(f"{where}: 'sequence' must be a whole number from 0 to 32767.")
    outcomes = raw.get("outcomes")
    if not isinstance(outcomes, list) or not 2 <= len(outcomes) <= 4:
        raise CatalogueError(f"{where}: 'outcomes' must list 2 to 4 learning outcomes.")
    texts = tuple(_text(text, where, "outcomes", limit=300) for text in outcomes)
    audiences_raw = raw.get("audiences")
    if not isinstance(audiences_raw, dict) or set(audiences_raw) != set(AUDIENCES):
        raise CatalogueError(f"{where}: 'audiences' must give exactly {', '.join(AUDIENCES)}.")
    audiences: dict[str, tuple[str, int]] = {}
    for audience in AUDIENCES:
        entry = audiences_raw[audience]
        if not isinstance(entry, dict) or entry.get("relevance") not in RELEVANCES:
            raise CatalogueError(f"{where}: 'audiences.{audience}.relevance' must be one of {', '.join(RELEVANCES)}.")
        priority = entry.get("priority")
        if not isinstance(priority, int) or isinstance(priority, bool) or not 1 <= priority <= 5:
            raise CatalogueError(f"{where}: 'audiences.{audience}.priority' must be a whole number from 1 to 5.")
        audiences[audience] = (entry["relevance"], priority)
    return CatalogueTopic(
        key=key,
        title=_text(raw.get("title"), where, "title", limit=200),
        summary=_text(raw.get("summary"), where, "summary", limit=2000, required=False),
        kind=kind,
        format=topic_format,
        min_minutes=low,
        max_minutes=high,
        sequence=sequence,
        outcomes=texts,
        audiences=audiences,
    )


def catalogue_parse(text: str) -> list[CatalogueTopic]:
    """The topics in a catalogue document; CatalogueError naming the topic and field at the first
    thing wrong."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise CatalogueError(f"The catalogue is not valid YAML: {error}") from error
    if not isinstance(document, dict) or not isinstance(document.get("topics"), list) or not document["topics"]:
        raise CatalogueError("The catalogue must have a non-empty 'topics' list.")
    topics = [_topic(raw, index) for index, raw in enumerate(document["topics"], start=1)]
    seen: set[str] = set()
    for topic in topics:
        if topic.key in seen:
            raise CatalogueError(f"Topic '{topic.key}': the key is used twice.")
        seen.add(topic.key)
    if not any(topic.kind == "opening" for topic in topics):
        raise CatalogueError("The catalogue must have at least one opening item.")
    return topics


def catalogue_load(path: Path = CATALOGUE_PATH) -> list[CatalogueTopic]:
    """masip's shipped catalogue (or the file at `path`), checked."""
    return catalogue_parse(path.read_text(encoding="utf-8"))
