"""The header's unit and role, from the user's active memberships."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def membership(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from masip.accounts.selectors import memberships_for_header

    return memberships_for_header(user=user, current_unit_id=getattr(request, "current_unit_id", None))
