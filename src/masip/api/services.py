"""Issuing and revoking API tokens for systems. Each write is audited as `admin`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from knox.models import AuthToken

from masip.access.policy import Capability
from masip.access.principal import principal_for
from masip.accounts.models import Agency, Membership, Role, Unit, User
from masip.audit.models import AuditAction
from masip.audit.services import audit_record

# A system never gets a role that oversees a whole unit or manages accounts and tokens: an
# administrator, who sees no case data, must not be able to mint a token that sees it all,
# nor one that mints more tokens. Case-working roles see only cases the system is teamed on.
SERVICE_ACCOUNT_ROLES: tuple[Role, ...] = (
    Role.PARTNER_REFERRER,
    Role.POLICE_INVESTIGATOR,
    Role.CLINICIAN,
    Role.OUTREACH_WORKER,
    Role.STALKING_ADVOCATE,
    Role.SUPPORT_OFFICER,
    Role.ANALYST,
)
TOKEN_LIFETIMES_DAYS: tuple[int, ...] = (30, 90, 180, 365)
TOKEN_PREFIX_SHOWN = 8


@dataclass(frozen=True)
class IssuedToken:
    account: User
    instance: AuthToken
    # The only time the token exists in clear: show it once, never store or log it.
    token: str

    @property
    def prefix(self) -> str:
        return self.token[:TOKEN_PREFIX_SHOWN]


def api_token_issue(
    *,
    actor: Any,
    unit: Unit,
    role: str,
    system_name: str,
    lifetime: timedelta,
    agency: Agency | None = None,
    request: HttpRequest | None = None,
) -> IssuedToken:
    """Create a service account for a system, with one role in `unit`, and an expiring token for it.

    Guarantees: the actor may manage API tokens in `unit` (else PermissionDenied); the role is
    one of SERVICE_ACCOUNT_ROLES and the lifetime one of TOKEN_LIFETIMES_DAYS (else
    ValidationError, nothing written); the account cannot sign in to the web (no usable
    password, marked as a service account); only the token's hash is stored; the account, its
    membership, the token and the `admin` audit row commit together. The account belongs to
    `agency` (the unit's lead agency when none is given): referrals the system sends come from
    that agency, and its external references are unique within it.
    """
    if not principal_for(actor).can(Capability.MANAGE_API_TOKENS, unit_id=unit.pk):
        raise PermissionDenied("You can only issue API tokens for units where you manage tokens.")
    if role not in SERVICE_ACCOUNT_ROLES:
        raise ValidationError("Choose one of the roles offered for systems.")
    if lifetime not in {timedelta(days=d) for d in TOKEN_LIFETIMES_DAYS}:
        raise ValidationError("Choose how long the token lasts from the options given.")
    name = system_name.strip()
    if not name:
        raise ValidationError("Enter the name of the system that will use the token.")
    with transaction.atomic():
        account = User(
            email=f"system-{uuid.uuid4().hex}@service.masip.invalid",
            full_name=name,
            is_service_account=True,
            agency=agency or unit.lead_agency,
        )
        account.set_unusable_password()
        account.save()
        Membership.objects.create(user=account, unit=unit, role=role, granted_by=actor)
        instance, token = AuthToken.objects.create(account, expiry=lifetime)
        audit_record(
            action=AuditAction.ADMIN,
            actor=actor,
            request=request,
            unit=unit,
            object_type="knox.authtoken",
            object_id=token[:TOKEN_PREFIX_SHOWN],
            detail={
                "event": "api token issued",
                "service_account_id": account.pk,
                "role": role,
                "agency_id": account.agency_id,
                "expiry": instance.expiry.isoformat() if instance.expiry else None,
            },
        )
    return IssuedToken(account=account, instance=instance, token=token)


def api_token_revoke(*, actor: Any, token: AuthToken, request: HttpRequest | None = None) -> None:
    """Delete a token so that it stops working at once; the service account stays for the record.

    Guarantees: the actor manages API tokens in a unit of the token's account (else
    PermissionDenied); the deletion and its `admin` audit row commit together.
    """
    account = token.user
    units = set(Membership.objects.filter(user=account).values_list("unit_id", flat=True))
    if not units & principal_for(actor).units_with(Capability.MANAGE_API_TOKENS):
        raise PermissionDenied("You can only revoke API tokens for units where you manage tokens.")
    with transaction.atomic():
        deleted, _ = AuthToken.objects.filter(digest=token.digest).delete()
        if not deleted:
            raise ValidationError("This token had already been revoked or had expired. Nothing was changed.")
        audit_record(
            action=AuditAction.ADMIN,
            actor=actor,
            request=request,
            unit=Unit.objects.filter(pk__in=units).order_by("pk").first(),
            object_type="knox.authtoken",
            object_id=token.token_key[:TOKEN_PREFIX_SHOWN],
            detail={"event": "api token revoked", "service_account_id": account.pk},
        )
