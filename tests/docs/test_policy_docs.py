"""The documents print the policy as the code has it, and the README keeps to two set-up commands."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import override_settings

from masip.access.docs import (
    POLICY_DOCUMENTS,
    POLICY_END,
    POLICY_START,
    REGENERATE,
    policy_block,
    policy_markdown,
    stale_documents,
    with_policy_block,
)
from masip.access.policy import COMPARTMENT_POLICY, Action, Capability, Compartment
from masip.accounts.models import Role

BASE_DIR = Path(settings.BASE_DIR)


@pytest.mark.parametrize("name", POLICY_DOCUMENTS)
def test_document_prints_the_policy_as_the_code_has_it(name):
    text = (BASE_DIR / name).read_text(encoding="utf-8")
    block = policy_block(text)
    assert block is not None, f"{name} has lost its {POLICY_START} / {POLICY_END} markers: put them back."
    assert block == policy_markdown(), (
        f"The policy tables in {name} differ from src/masip/access/policy.py: run {REGENERATE} to regenerate them."
    )


def test_a_policy_change_makes_the_documents_stale(monkeypatch):
    assert stale_documents(BASE_DIR) == []
    monkeypatch.setitem(COMPARTMENT_POLICY[Role.SUPPORT_OFFICER], Compartment.HEALTH, frozenset({Action.VIEW}))
    assert stale_documents(BASE_DIR) == list(POLICY_DOCUMENTS)


def _rows(markdown: str) -> dict[str, list[str]]:
    rows = {}
    for line in markdown.splitlines():
        if line.startswith("| ") and not line.startswith("| ---"):
            cells = [cell.strip() for cell in line.strip("|").split(" | ")]
            rows[cells[0]] = cells[1:]
    return rows


def test_tables_name_every_role_compartment_and_capability_by_its_label():
    rows = _rows(policy_markdown())
    assert rows["Role"] == [c.label for c in Compartment]
    assert rows["Capability"] == [r.label for r in Role]
    assert {r.label for r in Role} | {c.label for c in Capability} <= set(rows)
    health = list(Compartment).index(Compartment.HEALTH)
    assert rows[Role.CLINICIAN.label][health] == "view, create, change, export, disclose"
    assert rows[Role.UNIT_MANAGER.label][health] == "none"
    audit = rows[Capability.VIEW_AUDIT.label]
    assert audit[list(Role).index(Role.UNIT_MANAGER)] == "yes"
    assert audit[list(Role).index(Role.SYSTEM_ADMINISTRATOR)] == "no"


def test_regenerating_replaces_only_the_block_and_is_stable():
    text = f"# Title\n\nBefore.\n\n{POLICY_START}\nold table\n{POLICY_END}\n\nAfter.\n"
    once = with_policy_block(text)
    assert once.startswith("# Title\n\nBefore.\n\n")
    assert once.endswith(f"{POLICY_END}\n\nAfter.\n")
    assert "old table" not in once
    assert policy_block(once) == policy_markdown()
    assert with_policy_block(once) == once


def test_regenerating_a_document_without_markers_is_refused():
    with pytest.raises(ValueError, match="markers"):
        with_policy_block("# No markers here\n")


def test_policy_docs_command_checks_then_writes(tmp_path):
    (tmp_path / "docs").mkdir()
    for name in POLICY_DOCUMENTS:
        (tmp_path / name).write_text(f"Intro\n{POLICY_START}\nstale\n{POLICY_END}\n", encoding="utf-8")
    with override_settings(BASE_DIR=tmp_path):
        with pytest.raises(CommandError, match="policy_docs --write"):
            call_command("policy_docs", stdout=StringIO())
        call_command("policy_docs", "--write", stdout=StringIO())
        out = StringIO()
        call_command("policy_docs", stdout=out)
    assert "match the code" in out.getvalue()
    for name in POLICY_DOCUMENTS:
        assert policy_block((tmp_path / name).read_text(encoding="utf-8")) == policy_markdown()


def test_readme_gives_exactly_two_set_up_commands():
    readme = (BASE_DIR / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```[^\n]*\n(.*?)^```", readme, flags=re.DOTALL | re.MULTILINE)
    commands = [line.strip() for block in blocks for line in block.splitlines() if line.strip()]
    assert commands == ["make demo", "make test"], "The README's only set-up commands are `make demo` and `make test`."


def test_documents_point_to_each_other_and_to_the_api_document():
    readme = (BASE_DIR / "README.md").read_text(encoding="utf-8")
    for target in ("docs/security-model.md", "docs/deployment.md", "docs/openapi.yaml"):
        assert f"]({target})" in readme
