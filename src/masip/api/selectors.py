"""Reads for the API and its token screens."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from knox.models import AuthToken

from masip.access.lookup import get_visible_or_404
from masip.access.policy import CAPABILITY_POLICY, Capability
from masip.access.principal import principal_for
from masip.accounts.models import Membership, Role, Unit


@dataclass(frozen=True)
class Me:
    id: int
    email: str
    full_name: str
    is_service_account: bool
    memberships: list[Membership]
    capabilities: list[str]


def me_for(*, user: Any) -> Me:
    """The caller with their active memberships and the capabilities those give them."""
    memberships = list(Membership.objects.active().filter(user=user).select_related("unit").order_by("unit__name"))
    capabilities = sorted({str(c) for m in memberships for c in CAPABILITY_POLICY[Role(m.role)]})
    return Me(
        id=user.pk,
        email=user.email,
        full_name=user.full_name,
        is_service_account=user.is_service_account,
        memberships=memberships,
        capabilities=capabilities,
    )


def token_units_for(*, user: Any) -> QuerySet[Unit]:
    """The units in which the user may issue and revoke API tokens."""
    return Unit.objects.filter(pk__in=principal_for(user).units_with(Capability.MANAGE_API_TOKENS))


def api_tokens_for(*, user: Any) -> QuerySet[AuthToken]:
    """The tokens of service accounts in the units where the user manages tokens, newest first."""
    units = principal_for(user).units_with(Capability.MANAGE_API_TOKENS)
    accounts = Membership.objects.filter(unit_id__in=units, user__is_service_account=True).values("user_id")
    return (
        AuthToken.objects.filter(user_id__in=accounts)
        .select_related("user")
        .prefetch_related(Prefetch("user__memberships", queryset=Membership.objects.select_related("unit")))
        .order_by("-created")
    )


def api_token_get_for(*, user: Any, token_id: str, request: HttpRequest | None = None) -> AuthToken:
    """One token the user may revoke, or the same audited 404 as any record that is not theirs."""
    return get_visible_or_404(api_tokens_for(user=user), token_id, user=user, request=request)
