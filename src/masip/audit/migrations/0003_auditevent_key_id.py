"""Key the audit chain: each row names the MASIP_AUDIT_KEYS key whose HMAC-SHA256 chains it.

Rows written before this migration carry the old, unkeyed SHA-256 chain. The migration checks
that chain first and stops, changing nothing, if it is already broken: re-signing a broken
chain would hide the break. Otherwise it re-signs every row, in order and in batches, with the
first key of MASIP_AUDIT_KEYS. Heads recorded before the upgrade no longer match: record the
head that `verify_audit` prints afterwards.

The hashing below is a frozen copy of what the code did at this point, so that later changes
to `masip.audit.models` cannot change what this migration does.

Adding a column on SQLite rebuilds the table, which drops its triggers; they are put back.
"""

import hashlib
import hmac
import importlib
import json

from django.conf import settings
from django.db import migrations, models

from masip.core.keyring import Keyring

_triggers = importlib.import_module("masip.audit.migrations.0002_append_only_triggers")

GENESIS_HASH = "0" * 64
BATCH = 2000
LEGACY_FIELDS = (
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
    "prev_hash",
)
KEYED_FIELDS = (*LEGACY_FIELDS[:-1], "key_id", "prev_hash")


class LegacyChainBroken(RuntimeError):
    pass


def _canonical(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if value is not None and not isinstance(value, (str, int, float, bool, list, dict)):
        return str(value)
    return value


def _digest(row, fields, key=None):
    payload = {name: _canonical(row[name]) for name in fields}
    encoded = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    if key is None:
        return hashlib.sha256(encoded).hexdigest()
    return hmac.new(key, encoded, hashlib.sha256).hexdigest()


def resign_legacy_chain(event_model, keyring):
    """Check the unkeyed chain and re-sign it with the keyring's first key; return the row count.

    Reads and writes in batches by sequence number, so memory does not grow with the log.
    The caller must have lifted the append-only triggers.
    """
    key_id, key = keyring.primary_id, keyring.keys[keyring.primary_id]
    columns = (*LEGACY_FIELDS, "hash")
    old_prev = new_prev = GENESIS_HASH
    expected_seq = 1
    while True:
        batch = list(
            event_model.objects.filter(seq__gte=expected_seq).order_by("seq").values_list("pk", *columns)[:BATCH]
        )
        if not batch:
            return expected_seq - 1
        resigned = []
        for pk, *values in batch:
            row = dict(zip(columns, values))
            if row["seq"] != expected_seq or row["prev_hash"] != old_prev or _digest(row, LEGACY_FIELDS) != row["hash"]:
                raise LegacyChainBroken(
                    f"The audit chain is already broken at row {expected_seq} (missing, out of order or altered), "
                    "so it cannot be keyed: that would hide the break. Nothing was changed. Investigate with "
                    "`manage.py verify_audit` on the release you are upgrading from before migrating."
                )
            old_prev = row["hash"]
            row.update(key_id=key_id, prev_hash=new_prev)
            new_prev = _digest(row, KEYED_FIELDS, key)
            resigned.append(event_model(pk=pk, key_id=key_id, prev_hash=row["prev_hash"], hash=new_prev))
            expected_seq += 1
        event_model.objects.bulk_update(resigned, ["key_id", "prev_hash", "hash"])


def resign(apps, schema_editor):
    event_model = apps.get_model("audit", "AuditEvent")
    if event_model.objects.exists():
        keyring = Keyring.parse(getattr(settings, "MASIP_AUDIT_KEYS", ""), setting="MASIP_AUDIT_KEYS")
        resign_legacy_chain(event_model, keyring)


def _set_triggers(*, enabled):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        if vendor == "sqlite":
            # DROP first: after a table rebuild the triggers are gone, otherwise they are not.
            for statement in _triggers.SQLITE_DOWN + (_triggers.SQLITE_UP if enabled else []):
                schema_editor.execute(statement)
        elif vendor == "postgresql":
            schema_editor.execute(f"ALTER TABLE audit_auditevent {'ENABLE' if enabled else 'DISABLE'} TRIGGER USER")

    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_triggers")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="key_id",
            field=models.CharField(default="", editable=False, max_length=32),
            preserve_default=False,
        ),
        migrations.RunPython(_set_triggers(enabled=False), _set_triggers(enabled=True)),
        # Not reversible: the code before this migration cannot verify a keyed chain.
        migrations.RunPython(resign),
        migrations.RunPython(_set_triggers(enabled=True), _set_triggers(enabled=False)),
    ]
