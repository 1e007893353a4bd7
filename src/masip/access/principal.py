"""What one signed-in user holds: active roles per unit, computed once per request."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from masip.access.policy import Capability, compartments_allowing, has_capability


@dataclass(frozen=True)
class Principal:
    user_id: int | None
    roles_by_unit: dict[int, frozenset[str]] = field(default_factory=dict)

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None

    def units_with(self, capability: Capability) -> set[int]:
        return {unit for unit, roles in self.roles_by_unit.items() if any(has_capability(r, capability) for r in roles)}

    def can(self, capability: Capability, unit_id: int | None = None) -> bool:
        units = self.roles_by_unit if unit_id is None else {unit_id: self.roles_by_unit.get(unit_id, frozenset())}
        return any(has_capability(role, capability) for roles in units.values() for role in roles)

    def compartments(self, unit_id: int, action: str) -> set[str]:
        return {str(c) for c in compartments_allowing(self.roles_by_unit.get(unit_id, frozenset()), action)}

    def may(self, unit_id: int, compartment: str, action: str) -> bool:
        return compartment in self.compartments(unit_id, action)


ANONYMOUS = Principal(user_id=None)
_CACHE_ATTR = "_masip_principal"
_MEMBERSHIPS_ATTR = "_masip_memberships"


def principal_for(user: Any) -> Principal:
    """The user's active memberships as a Principal, cached on the user object.

    Anonymous, inactive, unverified-service and unknown users get no roles: deny by default.
    """
    if user is None or not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return ANONYMOUS
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    from masip.accounts.models import Membership

    # The units come along so that the page header (active_memberships) needs no query of its own.
    memberships = list(Membership.objects.active().filter(user=user).select_related("unit"))
    roles: dict[int, set[str]] = defaultdict(set)
    for membership in memberships:
        roles[membership.unit_id].add(membership.role)
    principal = Principal(user_id=user.pk, roles_by_unit={u: frozenset(r) for u, r in roles.items()})
    setattr(user, _MEMBERSHIPS_ATTR, memberships)
    setattr(user, _CACHE_ATTR, principal)
    return principal


def active_memberships(user: Any) -> list[Any]:
    """The user's active memberships with their units, read once with the Principal."""
    if principal_for(user).is_anonymous:
        return []
    memberships: list[Any] = getattr(user, _MEMBERSHIPS_ATTR)
    return memberships


def forget_principal(user: Any) -> None:
    """Drop the cached Principal (after a role change within the same request)."""
    for attr in (_CACHE_ATTR, _MEMBERSHIPS_ATTR):
        if hasattr(user, attr):
            delattr(user, attr)
