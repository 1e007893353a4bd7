"""API permissions: the default denies; each endpoint names what it needs from the policy."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from masip.access.policy import Capability
from masip.access.principal import principal_for


class DenyAll(BasePermission):
    """The default for any endpoint that forgot to declare its permission."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return False


class SignedIn(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated)


def capability_permission(capability: Capability) -> type[BasePermission]:
    class HasCapability(BasePermission):
        masip_capability = capability

        def has_permission(self, request: Request, view: Any) -> bool:
            return bool(request.user and request.user.is_authenticated) and principal_for(request.user).can(capability)

    HasCapability.__name__ = f"Has_{capability.value}"
    return HasCapability
