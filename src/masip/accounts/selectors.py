"""Reads about accounts that views, the header and the API share."""

from __future__ import annotations

from typing import Any

from masip.accounts.models import Membership


def memberships_for_header(*, user: Any, current_unit_id: int | None) -> dict[str, Any]:
    active = list(Membership.objects.active().filter(user=user).select_related("unit"))
    units = {m.unit_id: m.unit for m in active}
    current = units.get(current_unit_id) if current_unit_id else None
    if current is None and active:
        current = active[0].unit
    roles = [m.get_role_display() for m in active if current is not None and m.unit_id == current.pk]
    return {"current_unit": current, "current_roles": roles, "user_units": list(units.values())}
