"""Where one part of the interventions app tells another that something happened."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest


def vcop_event_recorded(
    *, case: Any, kind: str, occurred_at: datetime, actor: Any = None, request: HttpRequest | None = None
) -> None:
    """A criminal-justice event the Victims' Code obliges the unit to tell each victim about
    (an arrest, a release on bail, a charge, a court date, an order granted or refused...) has
    been recorded on `case`: start each victim's update clock. `kind` is one of
    models_vcop.VcopEventKind. A no-op until the Victims' Code part is installed."""
