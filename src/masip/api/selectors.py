"""Reads for the API and its token screens."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from knox.models import AuthToken

from masip.access.lookup import get_visible_or_404
from masip.access.policy import CAPABILITY_POLICY, Capability
from masip.access.principal import principal_for
from masip.accounts.models import Membership, Role, Unit
from masip.audit.models import AuditAction
from masip.audit.services import audit_record
from masip.referrals.models import Referral


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


def referral_units_for(*, user: Any) -> QuerySet[Unit]:
    """The units the caller may send referrals to."""
    return Unit.objects.filter(pk__in=principal_for(user).units_with(Capability.SUBMIT_REFERRALS)).order_by("code")


def referral_unit_for(*, user: Any, code: str) -> Unit:
    """The unit a referral goes to: the one named by `code`, or, when none is given, the only
    unit the caller may refer to. Refusals are ValidationErrors on `unit` that say what to send."""
    units = list(referral_units_for(user=user))
    wanted = code.strip()
    if not wanted:
        if len(units) == 1:
            return units[0]
        codes = ", ".join(u.code for u in units)
        raise ValidationError({"unit": f"Say which unit the referral is for: send `unit` with one of: {codes}."})
    for unit in units:
        if unit.code.lower() == wanted.lower():
            return unit
    # The same answer for a unit that does not exist and one the caller may not refer to.
    codes = ", ".join(u.code for u in units)
    raise ValidationError(
        {"unit": f"You cannot send referrals to a unit “{wanted}”. The units you can refer to: {codes}."}
    )


def referrer_list_audit(*, user: Any, referrals: Iterable[Referral], request: HttpRequest | None = None) -> None:
    """Record which referrals one page of the referrer's list showed: one row per unit."""
    listed: dict[int, list[str]] = {}
    for referral in referrals:
        listed.setdefault(referral.unit_id, []).append(str(referral.pk))
    units = Unit.objects.in_bulk(list(listed))
    for unit_id, ids in listed.items():
        audit_record(
            action=AuditAction.VIEW,
            actor=user,
            request=request,
            unit=units[unit_id],
            object_type=Referral._meta.label_lower,
            detail={"listed": ids, "view": "referrer status"},
        )
