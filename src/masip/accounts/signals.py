"""Sign-in events go to the audit log."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from masip.audit.models import AuditAction
from masip.audit.services import audit_record


@receiver(user_logged_in)
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit_record(action=AuditAction.LOGIN, actor=user, request=request, detail={"step": "password"})


@receiver(user_logged_out)
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit_record(action=AuditAction.LOGOUT, actor=user, request=request)


@receiver(user_login_failed)
def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    from masip.accounts.models import User

    # Record who, only when the name is a real account: a mistyped password in the
    # username box must not end up in the log.
    username = str(credentials.get("username", "")).strip().lower()
    known = User.objects.filter(email=username).first() if username else None
    audit_record(
        action=AuditAction.LOGIN_FAILED,
        actor=None,
        request=request,
        object_type="accounts.user" if known else "",
        object_id=known.pk if known else None,
        detail={"reason": credentials.get("masip_reason", "wrong password or unknown user")},
    )
