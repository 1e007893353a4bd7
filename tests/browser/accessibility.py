"""The automated accessibility check: axe-core (Deque's rules engine, bundled by
axe-playwright-python) run in the page as the browser rendered it, against the WCAG 2.x A and AA
rules and axe's best practices (all content inside landmarks, headings in order). An automated
check finds perhaps a third of the problems a person would; it is a floor, not a certificate."""

from __future__ import annotations

from typing import Any

RULE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def accessibility_violations(page: Any) -> list[str]:
    """Each rule the page breaks, with the elements that break it; [] when none."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": RULE_TAGS}, "resultTypes": ["violations"]})
    found = []
    for violation in results.response["violations"]:
        targets = "; ".join(" ".join(node["target"]) for node in violation["nodes"])
        found.append(f"{violation['id']} ({violation['impact']}): {violation['help']} — {targets}")
    return found
