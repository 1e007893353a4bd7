"""The policy tables as Markdown, for README.md and docs/security-model.md.

The documents carry the tables between `<!-- policy:start -->` and `<!-- policy:end -->`;
`manage.py policy_docs --write` regenerates them and a test fails when they drift, so what
the documents say is always what the code enforces.
"""

from __future__ import annotations

import re
from pathlib import Path

from masip.access.policy import CAPABILITY_POLICY, COMPARTMENT_POLICY, Action, Capability, Compartment
from masip.accounts.models import Role

POLICY_START = "<!-- policy:start -->"
POLICY_END = "<!-- policy:end -->"
POLICY_DOCUMENTS = ("README.md", "docs/security-model.md")
REGENERATE = "`.venv/bin/python manage.py policy_docs --write`"

_BLOCK = re.compile(re.escape(POLICY_START) + r"\n(?P<body>.*?)" + re.escape(POLICY_END), re.DOTALL)


def policy_markdown() -> str:
    """Both policy tables, with the labels people read, ending in a newline."""
    lines = [
        f"<!-- Generated from src/masip/access/policy.py by {REGENERATE}: edit the policy, not this table. -->",
        "",
        "**Case data.** What each role may do in each compartment of a case it can see: a case whose "
        "team it is on, one it has opened by break-glass, or, for a unit manager, any case of its unit.",
        "",
        _row(["Role", *(compartment.label for compartment in Compartment)]),
        _row(["---"] * (len(Compartment) + 1)),
    ]
    for role in Role:
        cells = [_actions(COMPARTMENT_POLICY[role][compartment]) for compartment in Compartment]
        lines.append(_row([role.label, *cells]))
    explained = [f"*{a.value}* means {a.label.lower()}" for a in Action if a.label.lower() != a.value]
    lines += [
        "",
        f"Actions: {', '.join(a.value for a in Action)}; {'; '.join(explained)}. "
        "Anything a cell does not name is refused.",
        "",
        "**Other capabilities.** What each role may do that is not reading or writing a case's compartments:",
        "",
        _row(["Capability", *(role.label for role in Role)]),
        _row(["---"] * (len(Role) + 1)),
    ]
    for capability in Capability:
        lines.append(
            _row([capability.label, *("yes" if capability in CAPABILITY_POLICY[role] else "no" for role in Role)])
        )
    return "\n".join(lines) + "\n"


def _actions(allowed: frozenset[Action]) -> str:
    return ", ".join(action.value for action in Action if action in allowed) or "none"


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def policy_block(text: str) -> str | None:
    """The text between the policy markers, or None when the document has no markers."""
    match = _BLOCK.search(text)
    return match.group("body") if match else None


def with_policy_block(text: str) -> str:
    """`text` with the block between the markers replaced by the current tables."""
    if policy_block(text) is None:
        raise ValueError(f"No {POLICY_START} ... {POLICY_END} markers: add them where the tables belong.")
    return _BLOCK.sub(lambda _: f"{POLICY_START}\n{policy_markdown()}{POLICY_END}", text, count=1)


def stale_documents(base_dir: Path) -> list[str]:
    """The policy documents (paths relative to `base_dir`) whose tables differ from the code."""
    stale = []
    for name in POLICY_DOCUMENTS:
        path = base_dir / name
        block = policy_block(path.read_text(encoding="utf-8")) if path.exists() else None
        if block != policy_markdown():
            stale.append(name)
    return stale
