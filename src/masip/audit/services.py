"""Writing to the audit log. Every read and write of case data goes through `audit_record`.

Call it inside the same transaction as the change it records, so that a change and its audit
row commit or roll back together.
"""

from __future__ import annotations

import ipaddress
import json
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Model
from django.http import HttpRequest
from django.utils import timezone

from masip.audit.models import GENESIS_HASH, AuditAction, AuditEvent, audit_keyring, chain_hash

# Any constant will do: it names the one lock that serialises appends to the chain.
_CHAIN_LOCK_KEY = 0x6D61_7369_70A0


def client_address(request: HttpRequest) -> str | None:
    """The address of the person's machine as far as masip can trust it.

    Behind MASIP_TRUSTED_PROXY_COUNT reverse proxies, each appends the address it received
    from to X-Forwarded-For, so the entry that many places from the end is the last one no
    client could forge. Without trusted proxies the header is ignored.
    """
    proxies = settings.MASIP_TRUSTED_PROXY_COUNT
    if proxies > 0:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if len(hops) >= proxies:
            candidate = hops[-proxies]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                return None
    return request.META.get("REMOTE_ADDR") or None


def _client(request: HttpRequest | None) -> tuple[str | None, str]:
    if request is None:
        return None, ""
    return client_address(request), request.META.get("HTTP_USER_AGENT", "")[:300]


def _lock_chain() -> None:
    # SQLite write transactions are already serial (IMMEDIATE mode); PostgreSQL needs a lock
    # so that two appends never read the same previous row.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])


def audit_record(
    *,
    action: AuditAction | str,
    actor: Any = None,
    request: HttpRequest | None = None,
    unit: Any = None,
    obj: Model | None = None,
    object_type: str = "",
    object_id: str | uuid.UUID | int | None = None,
    case_id: uuid.UUID | None = None,
    person_id: uuid.UUID | None = None,
    fields: Iterable[str] = (),
    justification: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the audit chain and return it.

    Records field *names* only, never their values. Guarantees the event is chained to the
    last committed event and signed with the first key of MASIP_AUDIT_KEYS; runs in (or opens)
    a transaction. Inside `audit_batch()`, a read is written when the block is left.
    """
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = obj.pk if object_id is None else object_id
    actor_obj = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    ip, agent = _client(request)
    event = AuditEvent(
        actor=actor_obj,
        actor_label=actor_obj.email if actor_obj is not None else "",
        unit=unit,
        action=AuditAction(action),
        object_type=object_type,
        object_id="" if object_id is None else str(object_id),
        case_id=case_id,
        person_id=person_id,
        fields=sorted(set(fields)),
        justification=justification,
        ip_address=ip,
        user_agent=agent,
        # A JSON round trip now makes the hashed form equal to what the database returns.
        detail=json.loads(json.dumps(detail or {}, default=str)),
    )
    pending = _pending.get()
    if pending is not None and event.action in BATCHABLE:
        pending.append(event)
        return event
    if pending:
        # A write inside a batch: what was read before it is logged before it, in order.
        _append(pending)
        pending.clear()
    _append([event])
    return event


# Reads that a page may log together, in one INSERT, when it has shown everything.
BATCHABLE = frozenset({AuditAction.VIEW, AuditAction.DENIED})
_pending: ContextVar[list[AuditEvent] | None] = ContextVar("masip_audit_pending", default=None)


def audit_listing(
    *,
    actor: Any,
    object_type: str,
    ids: Iterable[Any],
    unit: Any,
    case_id: uuid.UUID | None = None,
    fields: Iterable[str] = (),
    request: HttpRequest | None = None,
) -> None:
    """One `view` row naming the records a page listed (a list is one consultation, not one per
    record); nothing when it listed none."""
    listed = [str(pk) for pk in ids]
    if listed:
        audit_record(
            action=AuditAction.VIEW,
            actor=actor,
            request=request,
            unit=unit,
            object_type=object_type,
            case_id=case_id,
            fields=fields,
            detail={"listed": listed},
        )


def audit_listings_by_unit(
    *, actor: Any, object_type: str, rows: Iterable[tuple[Any, Any]], request: HttpRequest | None = None
) -> None:
    """A page listing records of several units (a manager's caseloads, a queue): one listing row
    per unit, each in its own unit's log, so a unit's log never names another unit's records.
    `rows` are (unit, id) pairs."""
    by_unit: dict[Any, list[Any]] = {}
    for unit, pk in rows:
        by_unit.setdefault(unit, []).append(pk)
    for unit, ids in by_unit.items():
        audit_listing(actor=actor, object_type=object_type, ids=ids, unit=unit, request=request)


@contextmanager
def audit_batch() -> Iterator[None]:
    """Log the reads (`view` and `denied` events) recorded inside the block together on leaving
    it, however it is left: one chain lock, one read of the chain's end, one INSERT.

    For pages that read several things (a case, the people's contact details shown, the exhibits
    listed): each still gets its own signed row, in the order it was read, before the response
    leaves the server. Events of any other action are written at once, after the reads before
    them. An event returned inside the block has its `seq` only once the block is left.
    """
    if _pending.get() is not None:  # already batching: the outer block writes
        yield
        return
    pending: list[AuditEvent] = []
    token = _pending.set(pending)
    try:
        yield
    finally:
        _pending.reset(token)
        if pending:
            _append(pending)


def _append(events: list[AuditEvent]) -> None:
    """Chain and sign `events`, in order, after the last committed event, and insert them."""
    keyring = audit_keyring()
    key = keyring.keys[keyring.primary_id]
    # No savepoint inside a caller's transaction: an audit row that cannot be written must
    # take the caller's change (or page) down with it, never be rolled back alone.
    with transaction.atomic(savepoint=False):
        _lock_chain()
        last = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
        seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
        now = timezone.now()
        for event in events:
            event.seq = seq
            event.occurred_at = now  # the time it was logged, in step with `seq`
            event.key_id = keyring.primary_id
            event.prev_hash = prev_hash
            event.hash = prev_hash = chain_hash(_row_of(event), key)
            seq += 1
        if len(events) == 1:
            events[0].save(force_insert=True)
        else:
            AuditEvent.objects.bulk_create(events)


def _row_of(event: AuditEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "occurred_at": event.occurred_at,
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "unit_id": event.unit_id,
        "action": str(event.action),
        "object_type": event.object_type,
        "object_id": event.object_id,
        "case_id": event.case_id,
        "person_id": event.person_id,
        "fields": event.fields,
        "justification": event.justification,
        "ip_address": event.ip_address,
        "user_agent": event.user_agent,
        "detail": event.detail,
        "key_id": event.key_id,
        "prev_hash": event.prev_hash,
    }
