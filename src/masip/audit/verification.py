"""Walking the audit chain: constant memory, stops at the first broken link."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Count

from masip.audit.models import GENESIS_HASH, HASHED_FIELDS, AuditEvent, audit_keyring, chain_hash


@dataclass(frozen=True)
class ChainReport:
    rows_checked: int
    head_seq: int
    head_hash: str
    broken_at: int | None = None
    problem: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def _rows(chunk_size: int) -> Iterator[dict[str, object]]:
    columns = (*HASHED_FIELDS, "hash")
    # iterator() streams (a server-side cursor on PostgreSQL), so memory does not grow with the log.
    for values in AuditEvent.objects.order_by("seq").values_list(*columns).iterator(chunk_size=chunk_size):
        yield dict(zip(columns, values, strict=True))


def verify_chain(*, chunk_size: int = 2000) -> ChainReport:
    """Recompute every row's HMAC, with the key its row names, in order; report the first row
    that does not fit."""
    keys = audit_keyring().keys
    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
    for row in _rows(chunk_size):
        seq = int(row["seq"])  # type: ignore[call-overload]
        if seq != expected_seq:
            return ChainReport(
                checked,
                expected_seq - 1,
                prev_hash,
                broken_at=expected_seq,
                problem=f"row {expected_seq} is missing (the next row is {seq}): rows were deleted or renumbered",
            )
        if row["prev_hash"] != prev_hash:
            return ChainReport(
                checked,
                seq - 1,
                prev_hash,
                broken_at=seq,
                problem=f"row {seq} does not follow row {seq - 1}: rows were deleted, inserted or reordered",
            )
        key = keys.get(str(row["key_id"]))
        if key is None:
            return ChainReport(
                checked,
                seq - 1,
                prev_hash,
                broken_at=seq,
                problem=(
                    f"row {seq} is signed with key {row['key_id']!r}, which is not in MASIP_AUDIT_KEYS: restore it "
                    "(a key stays listed while rows it signed exist); if masip never had that key, the row is forged"
                ),
            )
        if not hmac.compare_digest(chain_hash(row, key), str(row["hash"])):
            return ChainReport(
                checked,
                seq - 1,
                prev_hash,
                broken_at=seq,
                problem=f"row {seq} was altered after it was written (its content no longer matches its hash)",
            )
        prev_hash, expected_seq, checked = str(row["hash"]), seq + 1, checked + 1
    return ChainReport(checked, expected_seq - 1, prev_hash)


def signing_key_usage() -> dict[str, int]:
    """How many rows each key id signed, from one GROUP BY (for knowing which keys must stay)."""
    counts = AuditEvent.objects.order_by().values("key_id").annotate(rows=Count("pk"))
    return dict(counts.values_list("key_id", "rows"))
