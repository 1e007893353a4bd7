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
    models_vcop.VcopEventKind. An event already recorded for the case at that time is not
    recorded twice; an unknown kind or a time in the future raises ValidationError."""
    from masip.interventions.models_vcop import VcopEventSource
    from masip.interventions.services_vcop import vcop_event_record

    vcop_event_record(
        case=case, kind=kind, occurred_at=occurred_at, actor=actor, source=VcopEventSource.LEGAL, request=request
    )


def case_participant_added(*, participant: Any, actor: Any = None, request: HttpRequest | None = None) -> None:
    """Someone has just been added to a case (cases.services, in its transaction). A victim is
    owed the Victims' Code updates of the case's events of the last 28 days, due counted from
    today; anyone else, nothing."""
    from masip.interventions.services_vcop import vcop_victim_added

    vcop_victim_added(participant=participant, actor=actor, request=request)
