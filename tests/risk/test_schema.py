"""The definition file format: what is refused, with which message and path, and what loads."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from masip.risk.definition import ScoringMethod
from masip.risk.schema import DefinitionError, definition_from_text, read_file, validate_definition
from tests.risk.conftest import SHIPPED, as_bytes, small


def problems_of(data: Any) -> list[str]:
    return [str(p) for p in validate_definition(data)]


def test_the_small_definition_is_valid():
    assert problems_of(small()) == []


@pytest.mark.parametrize("path", sorted(SHIPPED.glob("*.yaml")), ids=lambda p: p.name)
def test_the_shipped_files_validate_and_are_marked_illustrative(path):
    stored, parsed = definition_from_text(path.read_bytes(), path.name)
    assert parsed.illustrative is True
    assert "illustrative" in parsed.licence
    assert stored["id"] == path.stem == parsed.key


def test_the_shipped_instruments_have_the_shape_the_unit_relies_on():
    _, screen = definition_from_text((SHIPPED / "masip-stalking-screen.yaml").read_bytes(), "s.yaml")
    assert len(screen.items) == 11
    assert {i.type for i in screen.items} == {"yes_no"}
    assert screen.method == ScoringMethod.COUNT_YES
    assert [b.level for b in screen.bands] == ["low", "moderate", "high"]
    assert [(t.when.level_at_least, t.action) for t in screen.triggers] == [("moderate", "prompt_formulation")]

    _, checklist = definition_from_text((SHIPPED / "masip-da-checklist.yaml").read_bytes(), "c.yaml")
    assert len(checklist.items) == 27
    assert [b.minimum for b in checklist.bands][-1] == 14
    starts = [t for t in checklist.triggers if t.action == "start_instrument"]
    assert [(t.when.item, t.when.equals, t.instrument) for t in starts] == [("stalked", "yes", "masip-stalking-screen")]

    _, test = definition_from_text((SHIPPED / "masip-test-instrument.yaml").read_bytes(), "t.yaml")
    assert {i.type for i in test.items} == {"yes_no", "single_choice", "multiple_choice", "number", "date", "text"}
    assert test.method == ScoringMethod.SUM
    assert any(i.only_if for i in test.items)


def test_an_unknown_item_type_names_the_allowed_types():
    data = small()
    data["sections"][0]["items"][1]["type"] = "slider"
    assert problems_of(data) == [
        "sections[0].items[1].type: “slider” is not allowed here: use one of "
        "yes_no, single_choice, multiple_choice, number, date, text"
    ]


def test_a_duplicated_item_id_is_reported_where_it_is_used_again():
    data = small()
    data["sections"].append({"id": "s2", "title": "More", "items": [{"id": "q2", "type": "yes_no", "text": "Again?"}]})
    assert problems_of(data) == ["sections[1].items[0].id: “q2” is used twice; item ids must be unique"]


def test_thresholds_out_of_order_are_refused():
    data = small()
    data["scoring"]["bands"] = [
        {"id": "low", "label": "Low", "level": "low", "minimum": 0},
        {"id": "high", "label": "High", "level": "high", "minimum": 3},
        {"id": "moderate", "label": "Moderate", "level": "moderate", "minimum": 2},
    ]
    found = problems_of(data)
    assert any(p.startswith("scoring.bands[2].minimum: threshold out of order") for p in found)
    assert any(p.startswith("scoring.bands[2].level: threshold out of order") for p in found)


def test_every_problem_is_reported_not_just_the_first():
    data = small(version=1.2, roles=["partner_referrer"])
    data["sections"][0]["items"][0]["weight"] = -1
    data["sections"][0]["items"][2]["only_if"] = {"item": "q9", "equals": "yes"}
    data["scoring"]["bands"][0]["minimum"] = 1
    found = problems_of(data)
    assert len(found) == 5, found
    assert any(p.startswith("version: write the version as text in quotes") for p in found)
    assert any(p.startswith("roles[0]: “partner_referrer” is not allowed here") for p in found)
    assert "sections[0].items[0].weight: must be 0 or more, not -1" in found
    assert "sections[0].items[2].only_if.item: “q9” is not an item of this instrument" in found
    assert any(p.startswith("scoring.bands[0].minimum: the first band must start at 0") for p in found)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["sections"][0]["items"][2].update(only_if={"item": "q3", "equals": "yes"}),
            "sections[0].items[2].only_if.item: “q3” cannot depend on its own answer",
        ),
        (
            lambda d: d["sections"][0]["items"][0].update(only_if={"item": "q2", "equals": "yes"}),
            "sections[0].items[0].only_if.item: “q2” comes later in the instrument; "
            "an item can only depend on one asked before it",
        ),
        (
            lambda d: d["sections"][0]["items"][2].update(only_if={"item": "q1", "equals": "maybe"}),
            "sections[0].items[2].only_if.equals: “maybe” is not an answer of “q1”; its answers are yes, no, unknown",
        ),
        (
            lambda d: d["sections"][0]["items"][0].update(options=[{"value": "a", "label": "A"}] * 2),
            "sections[0].items[0]: “options” are only for single_choice and multiple_choice items",
        ),
        (
            lambda d: d["sections"][0]["items"][0].update(type="single_choice"),
            "sections[0].items[0]: a choice item needs its “options”",
        ),
        (
            lambda d: d["sections"][0]["items"][0].update(type="number", minimum=5, maximum=1),
            "sections[0].items[0].minimum: 5 is more than the maximum, 1",
        ),
        (
            lambda d: d["scoring"].update(items=["q1", "q7"]),
            "scoring.items[1]: “q7” is not an item of this instrument",
        ),
        (
            lambda d: d["scoring"].pop("bands"),
            "scoring: “bands” is missing: method count_yes needs bands for its scores to fall in",
        ),
        (
            lambda d: d["scoring"].update(method="none"),
            "scoring.bands: an instrument with method none has no score, so no bands; remove them",
        ),
        (
            lambda d: d.update(
                triggers=[
                    {
                        "when": {"item": "q1", "equals": "yes"},
                        "action": "start_instrument",
                        "message": "Start the screen",
                    }
                ]
            ),
            "triggers[0]: a start_instrument trigger must name the “instrument” to start, by its id",
        ),
        (
            lambda d: d.update(
                triggers=[
                    {"when": {"item": "q8", "equals": "yes"}, "action": "prompt_formulation", "message": "Formulate"}
                ]
            ),
            "triggers[0].when.item: “q8” is not an item of this instrument",
        ),
        (
            lambda d: d["sections"][0].update(colour="red"),
            "sections[0]: “colour” is not a field here (check the spelling); the fields allowed are help, id, items, "
            "title",
        ),
        (
            lambda d: d["sections"][0]["items"][0].update(text="x" * 5001),
            "sections[0].items[0].text: is 5,001 characters long; masip accepts at most 5,000",
        ),
    ],
)
def test_cross_checks_name_the_path_and_the_fix(change, expected):
    data = small()
    change(data)
    assert expected in problems_of(data)


def test_count_yes_needs_a_scored_yes_no_item():
    data = small()
    for item in data["sections"][0]["items"]:
        item["scored"] = False
    assert "scoring.method: count_yes needs at least one scored yes_no item" in problems_of(data)


def test_a_duplicated_option_value_and_section_id_are_refused():
    data = small()
    data["sections"][0]["items"].append(
        {
            "id": "q4",
            "type": "single_choice",
            "text": "Pick",
            "options": [{"value": "a", "label": "A"}, {"value": "a", "label": "Also A"}],
        }
    )
    data["sections"].append(copy.deepcopy(data["sections"][0]) | {"items": [{"id": "z", "type": "text", "text": "T"}]})
    found = problems_of(data)
    assert (
        "sections[0].items[3].options[1].value: “a” is used twice; the options of an item must have different values"
        in found
    )
    assert "sections[1].id: “s1” is used twice; section ids must be unique" in found


def test_more_than_500_items_are_refused():
    data = small(scoring={"method": "none"})
    data["sections"] = [
        {"id": f"s{n}", "title": "T", "items": [{"id": f"q{n}-{i}", "type": "text", "text": "T"} for i in range(100)]}
        for n in range(6)
    ]
    assert "sections: has 600 items in all; masip accepts at most 500" in problems_of(data)


# Reading the file -------------------------------------------------------------------------------


def refused(content: bytes, filename: str = "x.yaml") -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        definition_from_text(content, filename)
    return [str(p) for p in caught.value.problems]


def test_ten_megabytes_are_refused_before_parsing_naming_the_limit(monkeypatch):
    def parse_must_not_run(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the file was parsed")

    monkeypatch.setattr("masip.risk.schema.yaml.load", parse_must_not_run)
    [message] = refused(b"a: b\n" * (2 * 1024 * 1024))
    assert message.startswith("The file is larger than 1 MB, the largest instrument definition masip accepts")


def test_the_limit_is_a_setting(settings):
    settings.MASIP_INSTRUMENT_MAX_BYTES = 100
    assert refused(as_bytes(small()), "x.json")[0].startswith("The file is larger than 100 bytes")


def test_yaml_tags_that_build_objects_are_refused():
    [message] = refused(b"id: !!python/object/apply:os.system ['echo hi']\n")
    assert message.startswith("line 1, column 5: the file uses the YAML tag tag:yaml.org,2002:python/object/apply:")
    assert "does not accept tags" in message


def test_yaml_aliases_are_refused_billion_laughs():
    laughs = b'a: &a ["lol","lol"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n'
    [message] = refused(laughs)
    assert message.startswith("line 1, column 4: the file uses a YAML anchor (&a)")


def test_an_alias_without_its_anchor_line_is_still_refused():
    assert "YAML alias" in refused(b"a: *x\n")[0] or "not valid YAML" in refused(b"a: *x\n")[0]


@pytest.mark.parametrize(
    ("content", "start"),
    [
        (b"- one\n- two\n", "The file must be a mapping of fields (id, name, version...), not a list."),
        (b"just text\n", "The file must be a mapping of fields (id, name, version...), not a single value"),
        (b"", "The file is empty."),
        (b"  \n\n", "The file is empty."),
        (b"name: caf\xe9\n", "The file is not UTF-8 text (byte 10 of the file cannot be read)."),
        (b"a: [1, 2\n", "line 2, column 1: this is not valid YAML"),
        (b"name: a\nname: b\n", "line 2, column 1: the field “name” is given twice in the same place; keep one."),
    ],
)
def test_files_that_are_not_a_definition_are_refused_clearly(content, start):
    assert refused(content)[0].startswith(start)


def test_json_is_read_by_extension_or_content():
    data = small()
    stored, parsed = definition_from_text(as_bytes(data), "screen.json")
    assert parsed.key == "unit-screen"
    assert stored["sections"][0]["items"][0]["weight"] == 1
    _, by_content = definition_from_text(as_bytes(data), "screen.txt")
    assert by_content == parsed
    assert refused(b'{"id": "a", "id": "b"}', "x.json") == [
        "the field “id” is given twice in the same place; keep one."
    ]
    assert refused(b'{"weight": NaN}', "x.json")[0].startswith("the file contains NaN")


def test_yes_stays_an_answer_and_dates_stay_text_in_yaml():
    data = read_file(b"equals: yes\nwhen: 2026-01-02\nflag: true\n", "x.yaml")
    assert data == {"equals": "yes", "when": "2026-01-02", "flag": True}


def test_normalising_writes_the_defaults_out():
    stored, _ = definition_from_text(as_bytes(small()), "x.json")
    item = stored["sections"][0]["items"][0]
    assert item == {
        "id": "q1",
        "type": "yes_no",
        "text": "First question?",
        "help": "",
        "required": True,
        "scored": True,
        "weight": 1,
    }
    assert stored["compartment"] == "team"
    assert stored["illustrative"] is False
    assert stored["triggers"] == []


def test_scores_that_could_not_be_stored_are_refused():
    data = {
        "id": "huge",
        "name": "Huge",
        "licence": "Written for this test.",
        "version": "1",
        "roles": ["clinician"],
        "sections": [
            {
                "id": "s",
                "title": "S",
                "items": [
                    {
                        "id": f"n{i}",
                        "type": "number",
                        "text": "How many?",
                        "minimum": 0,
                        "maximum": 1_000_000,
                        "weight": 1000,
                        "scored": True,
                    }
                    for i in range(2)
                ],
            }
        ],
        "scoring": {"method": "sum", "bands": [{"id": "low", "label": "Low", "level": "low", "minimum": 0}]},
    }
    problems = [str(p) for p in validate_definition(data)]
    assert any("more than the 99,999,999.99 masip stores" in p for p in problems), problems

    del data["sections"][0]["items"][1]["maximum"]
    problems = [str(p) for p in validate_definition(data)]
    assert any("has no “maximum”, so scores have no ceiling" in p for p in problems), problems
