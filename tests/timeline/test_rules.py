"""The red-flag rules file: declarative, checked, every problem named; a unit's tuned rules are
stored as immutable versions and used in place of masip's own."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from masip.risk.schema import DefinitionError
from masip.timeline.models import RuleSet
from masip.timeline.redflags import redflags_evaluate_case
from masip.timeline.rules import RULES_FILE, rules_for, rules_from_text, shipped_rules
from tests.timeline.redflag_helpers import a_case, ago, alerts, entry

pytestmark = pytest.mark.django_db

RULE = {
    "key": "threat",
    "title": "Threat",
    "kind": "behaviour_present",
    "parameters": {"behaviours": ["threat_kill"]},
    "explanation": "Threat on {date}{context}.",
    "severity": "high",
    "for_panel": True,
}


class _Plain(yaml.SafeDumper):
    def ignore_aliases(self, data: object) -> bool:
        return True  # every value written out: the reader refuses aliases


def _file(*rules: dict, **top: object) -> bytes:
    return yaml.dump({"version": "2", "rules": list(rules) or [RULE], **top}, Dumper=_Plain).encode()


def _problems(content: bytes, name: str = "rules.yaml") -> str:
    with pytest.raises(DefinitionError) as error:
        rules_from_text(content, name)
    return str(error.value)


def test_the_shipped_rules_load_and_cover_the_research_flags():
    keys = {rule.key for rule in shipped_rules().rules}
    assert {"threat-to-kill", "violence", "weapon", "breach", "frequency-escalation", "proximity-escalation"} <= keys
    assert {"separation-or-new-partner", "perpetrator-history", "other-victims", "victim-frightened"} <= keys


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (_file({**RULE, "colour": "red"}), "rules[0]: has the unknown field(s) colour"),
        (_file({**RULE, "kind": "machine_learning"}), 'rules[0].kind: is "machine_learning"; choose one of'),
        (
            _file({**RULE, "parameters": {"behaviours": ["threat_kill", "smoke_signals"]}}),
            "smoke_signals is not a behaviour code of the taxonomy",
        ),
        (_file({**RULE, "explanation": "Threat on {when}."}), "uses the slot(s) when, which a behaviour_present rule"),
        (_file({**RULE, "explanation": "{date.__class__}"}), "is not a plain slot"),
        (
            _file(
                {
                    **RULE,
                    "kind": "frequency_escalation",
                    "parameters": {"window_days": 4000, "baseline_windows": 2, "factor": 2, "min_count": 5},
                }
            ),
            "rules[0].parameters.window_days: is 4000; it must be at most 365",
        ),
        (
            _file(
                {
                    **RULE,
                    "kind": "frequency_escalation",
                    "parameters": {"window_days": "7 * 2", "baseline_windows": 2, "factor": 2, "min_count": 5},
                }
            ),
            'window_days: must be a whole number, written plainly (for example 14), not "7 * 2". Rules are declarative',
        ),
        (
            _file(
                {**RULE, "kind": "proximity_escalation", "parameters": {"from_max": 2, "to_min": 2, "within_days": 7}},
            ),
            "must be higher up the ladder than from_max",
        ),
        (b"version: '2'\nrules: !!python/object/apply:os.system ['true']\n", "the YAML tag"),
        (b"version: '2'\nbase: &a {x: 1}\nrules: [*a]\n", "anchor"),
        (_file(RULE, {**RULE, "parameters": {"behaviours": ["weapon"]}}), "the key threat is used by another rule"),
    ],
)
def test_bad_rules_files_are_refused_with_a_clear_message(content, expected):
    assert expected in _problems(content)


def test_a_unit_loads_its_tuned_rules_as_an_immutable_version(unit):
    tuned = _file({**RULE, "title": "Tuned threat"})
    path = Path(__file__).parent / "tuned-rules.yaml"
    path.write_bytes(tuned)
    try:
        out = io.StringIO()
        call_command("load_red_flag_rules", str(path), unit=unit.code, stdout=out)
        assert "Loaded version 2" in out.getvalue()
        with pytest.raises(CommandError, match="version 2 is already loaded"):
            call_command("load_red_flag_rules", str(path), unit=unit.code)
    finally:
        path.unlink()
    assert RuleSet.objects.filter(unit=unit).count() == 1
    assert rules_for(unit_id=unit.pk).rules[0].title == "Tuned threat"
    case = a_case(unit=unit)
    entry(case, ago(3), "threat_kill", "violence_physical")
    redflags_evaluate_case(case=case)
    assert set(alerts(case)) == {"threat"}  # the unit's rules replace masip's own
    assert alerts(case)["threat"][0].rule_version == "2"


def test_a_bad_file_stores_nothing(unit, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_bytes(_file({**RULE, "severity": "apocalyptic"}))
    with pytest.raises(CommandError, match="nothing was stored") as error:
        call_command("load_red_flag_rules", str(path), unit=unit.code)
    assert "severity" in str(error.value)
    assert not RuleSet.objects.exists()
    assert rules_for(unit_id=unit.pk) == shipped_rules()


def test_the_rules_file_is_the_shipped_default():
    assert RULES_FILE.name == "rules.yaml"
