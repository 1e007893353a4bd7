"""Which instrument versions a person may start an assessment with."""

from __future__ import annotations

from typing import Any

from masip.access.principal import principal_for
from masip.risk.models import InstrumentVersion


def instruments_offered(*, user: Any, unit: Any, case: Any = None) -> list[InstrumentVersion]:
    """The latest version, not withdrawn, of each instrument the unit may use (its own and the
    ones masip ships) that one of the user's roles in the unit is listed to use, by name."""
    roles = principal_for(user).roles_by_unit.get(unit.pk, frozenset())
    if not roles:
        return []
    versions = (
        InstrumentVersion.objects.filter(instrument__unit__isnull=True, withdrawn_at__isnull=True)
        | InstrumentVersion.objects.filter(instrument__unit=unit, withdrawn_at__isnull=True)
    ).select_related("instrument")
    latest: dict[int, InstrumentVersion] = {}
    for version in versions.order_by("instrument_id", "-created_at", "-pk"):
        latest.setdefault(version.instrument_id, version)
    offered = [v for v in latest.values() if roles & set(v.parsed.roles)]
    return sorted(offered, key=lambda v: v.instrument.name)
