"""The shipped catalogue file and its checks: it loads, says what is wrong naming the topic and
field, and loads into a unit only once (never over a trainer's edits)."""

from __future__ import annotations

from io import StringIO

import pytest
import yaml
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from masip.accounts.models import Role
from masip.audit.models import AuditAction, AuditEvent
from masip.training.catalogue import CATALOGUE_PATH, CatalogueError, catalogue_load, catalogue_parse
from masip.training.models import LearningOutcome, Topic, TopicAudience
from masip.training.services_catalogue import catalogue_install
from tests.factories import UnitFactory, member

SELECTABLE_TITLES = {
    "What stalking is",
    "Victim impact",
    "Stalker typology and risk profiling",
    "Stalking compared with other problem behaviour",
    "Legal issues",
    "Risk identification, assessment and management",
    "Management implications for typologies",
    "Interventions",
    "Investigations: perpetrator-focused and victim-centred, time-lines, the national protocol and checklist",
    "Red flags",
    "Local procedures",
    "Multi-agency approaches",
}


def test_the_shipped_catalogue_has_the_openings_and_the_twelve_topics() -> None:
    topics = catalogue_load()
    openings = [t for t in topics if t.kind == "opening"]
    assert [t.key for t in openings] == ["victim-story", "scale-of-problem"]
    assert {t.title for t in topics if t.kind == "selectable"} == SELECTABLE_TITLES
    assert {t.format for t in topics if t.kind == "selectable"} == {"presentation", "workshop"}
    for topic in topics:
        assert 2 <= len(topic.outcomes) <= 4
        assert topic.min_minutes % 5 == 0
        assert topic.max_minutes % 5 == 0
        assert set(topic.audiences) == {"managers", "spocs", "front_line"}
    by_key = {t.key: t for t in topics}
    assert by_key["local-procedures"].audiences["managers"][1] == 5
    assert by_key["investigations"].audiences["spocs"] == ("core", 1)
    assert by_key["management-implications"].audiences["managers"] == ("core", 1)


def _document(**changes: object) -> str:
    document = yaml.safe_load(CATALOGUE_PATH.read_text(encoding="utf-8"))
    document["topics"][3].update(changes)
    return yaml.safe_dump(document)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"min_minutes": 7}, "Topic 'victim-impact': 'min_minutes' must be a whole number of minutes, a multiple of 5"),
        ({"max_minutes": 400}, "Topic 'victim-impact': 'max_minutes' must be"),
        ({"min_minutes": 50}, "Topic 'victim-impact': 'min_minutes' (50) is more than 'max_minutes' (30)."),
        ({"format": "lecture"}, "Topic 'victim-impact': 'format' must be one of presentation, workshop."),
        ({"outcomes": ["Only one"]}, "Topic 'victim-impact': 'outcomes' must list 2 to 4 learning outcomes."),
        ({"audiences": {"managers": {"relevance": "core", "priority": 1}}}, "Topic 'victim-impact': 'audiences' must"),
        ({"colour": "red"}, "Topic 'victim-impact': unknown field 'colour'."),
        ({"key": "what-stalking-is"}, "Topic 'what-stalking-is': the key is used twice."),
    ],
)
def test_a_broken_catalogue_names_the_topic_and_the_field(changes: dict[str, object], message: str) -> None:
    with pytest.raises(CatalogueError) as error:
        catalogue_parse(_document(**changes))
    assert str(error.value).startswith(message)


def test_a_wrong_priority_is_named() -> None:
    document = yaml.safe_load(CATALOGUE_PATH.read_text(encoding="utf-8"))
    document["topics"][6]["audiences"]["spocs"]["priority"] = 0
    with pytest.raises(CatalogueError, match=r"Topic 'legal-issues': 'audiences.spocs.priority' must be"):
        catalogue_parse(yaml.safe_dump(document))


def test_not_yaml_is_refused() -> None:
    with pytest.raises(CatalogueError, match="not valid YAML"):
        catalogue_parse("topics: [unclosed")


@pytest.mark.django_db
def test_install_loads_the_catalogue_once_and_audits_it() -> None:
    unit = UnitFactory()
    trainer = member(Role.TRAINER, unit=unit)
    assert catalogue_install(unit=unit, actor=trainer) == 14
    assert Topic.objects.filter(unit=unit).count() == 14
    assert LearningOutcome.objects.filter(topic__unit=unit).count() >= 28
    assert TopicAudience.objects.filter(topic__unit=unit).count() == 42
    event = AuditEvent.objects.filter(unit=unit).order_by("-seq").first()
    assert event is not None
    assert event.action == AuditAction.CREATE
    assert event.object_type == "training.catalogue"
    assert event.detail["topics"] == 14


@pytest.mark.django_db
def test_install_never_overwrites_a_trainers_edits() -> None:
    unit = UnitFactory()
    catalogue_install(unit=unit)
    Topic.objects.filter(unit=unit, key="legal-issues").update(title="Our own legal session")
    with pytest.raises(ValidationError, match="already has a catalogue"):
        catalogue_install(unit=unit)
    assert Topic.objects.filter(unit=unit).count() == 14
    assert Topic.objects.get(unit=unit, key="legal-issues").title == "Our own legal session"


@pytest.mark.django_db
def test_the_command_loads_into_the_unit_by_code_and_then_declines() -> None:
    unit = UnitFactory()
    out = StringIO()
    call_command("load_training_catalogue", "--unit", unit.code, stdout=out)
    assert f"Loaded 14 topics into {unit.code}." in out.getvalue()
    again = StringIO()
    call_command("load_training_catalogue", "--unit", unit.code, stdout=again)
    assert "already has a catalogue" in again.getvalue()
    with pytest.raises(CommandError, match="No unit has the code"):
        call_command("load_training_catalogue", "--unit", "NOPE")
