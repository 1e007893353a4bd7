"""The audit log: append-only, each row chained to the one before by an HMAC-SHA256.

Rows are only ever inserted by `masip.audit.services.audit_record`. Database triggers (see the
migrations) refuse UPDATE and DELETE on the table; `manage.py verify_audit` recomputes the
chain and names the first row where it breaks.

The chain is keyed by MASIP_AUDIT_KEYS (comma-separated `id:key` pairs, as MASIP_KEYS), which
is never stored in the database: someone who can rewrite the table but does not hold the key
cannot recompute the chain after an edit. The first key signs new rows; each row names its
key, so older keys must stay listed for as long as rows signed with them exist.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import models

from masip.core.keyring import Keyring

GENESIS_HASH = "0" * 64


class AuditAction(models.TextChoices):
    LOGIN = "login", "Signed in"
    LOGIN_FAILED = "login_failed", "Failed sign-in"
    LOGOUT = "logout", "Signed out"
    SESSION_EXPIRED = "session_expired", "Session expired"
    LOCKED_OUT = "locked_out", "Locked out"
    VIEW = "view", "Viewed"
    CREATE = "create", "Created"
    CHANGE = "change", "Changed"
    EXPORT = "export", "Exported"
    DISCLOSE = "disclose", "Disclosed"
    BREAK_GLASS = "break_glass", "Break-glass access"
    DENIED = "denied", "Refused"
    ADMIN = "admin", "Account administration"


class AuditEvent(models.Model):
    seq = models.BigIntegerField(unique=True, editable=False)
    occurred_at = models.DateTimeField(db_index=True, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", editable=False
    )
    actor_label = models.CharField(max_length=254, blank=True, editable=False)
    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, null=True, related_name="+", editable=False)
    action = models.CharField(max_length=32, choices=AuditAction.choices, db_index=True, editable=False)
    object_type = models.CharField(max_length=64, blank=True, editable=False)
    object_id = models.CharField(max_length=64, blank=True, editable=False)
    case_id = models.UUIDField(null=True, blank=True, db_index=True, editable=False)
    person_id = models.UUIDField(null=True, blank=True, db_index=True, editable=False)
    fields = models.JSONField(default=list, editable=False)
    justification = models.TextField(blank=True, editable=False)
    ip_address = models.GenericIPAddressField(null=True, blank=True, editable=False)
    user_agent = models.CharField(max_length=300, blank=True, editable=False)
    detail = models.JSONField(default=dict, editable=False)
    # The id, in MASIP_AUDIT_KEYS, of the key that signed this row; signed along with the rest.
    key_id = models.CharField(max_length=32, editable=False)
    prev_hash = models.CharField(max_length=64, editable=False)
    # An HMAC-SHA256 (hex), not a bare hash, since the chain was keyed: the name is kept.
    hash = models.CharField(max_length=64, editable=False)

    class Meta:
        ordering = ["-seq"]
        indexes = [
            models.Index(fields=["unit", "-occurred_at"], name="audit_unit_time"),
            models.Index(fields=["actor", "-occurred_at"], name="audit_actor_time"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("Audit events are append-only: they are never updated.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("Audit events are append-only: they are never deleted.")


HASHED_FIELDS = (
    "seq",
    "occurred_at",
    "actor_id",
    "actor_label",
    "unit_id",
    "action",
    "object_type",
    "object_id",
    "case_id",
    "person_id",
    "fields",
    "justification",
    "ip_address",
    "user_agent",
    "detail",
    "key_id",
    "prev_hash",
)


def _canonical(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if value is not None and not isinstance(value, (str, int, float, bool, list, dict)):
        return str(value)
    return value


def chain_hash(row: dict[str, Any], key: bytes) -> str:
    """The chain hash of one row: HMAC-SHA256 under `key` of the row's canonical JSON, which
    includes the previous row's chain hash and the id of the signing key."""
    payload = {name: _canonical(row[name]) for name in HASHED_FIELDS}
    encoded = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hmac.new(key, encoded.encode(), hashlib.sha256).hexdigest()


@lru_cache(maxsize=4)
def _parse_audit_keys(spec: str) -> Keyring:
    return Keyring.parse(spec, setting="MASIP_AUDIT_KEYS")


def audit_keyring() -> Keyring:
    """The keyring configured in settings.MASIP_AUDIT_KEYS (parsed once per distinct value)."""
    return _parse_audit_keys(settings.MASIP_AUDIT_KEYS)
