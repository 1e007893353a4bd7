"""Key rotation of evidence files: onto the primary key, checked, swapped whole, audited."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from masip.audit.models import AuditAction, AuditEvent
from masip.core.keyring import DecryptionError, generate_key_spec
from masip.core.rotation import values_left_on_old_keys
from masip.evidence import rotation, storage
from masip.evidence.models import EvidenceItem
from tests.evidence.conftest import JPEG, PNG, CaseWithTeam

pytestmark = pytest.mark.django_db

A = generate_key_spec("a")
B = generate_key_spec("b")
LOST = generate_key_spec("lost")
ROTATING = f"{B},{A}"
LARGE = PNG + bytes(range(256)) * (storage.CHUNK_BYTES // 100)


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("rotate_keys", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def row_key(item: EvidenceItem) -> str:
    return EvidenceItem.unscoped.filter(pk=item.pk).values_list("key_id", flat=True).get()


def header_key(item: EvidenceItem) -> str:
    return storage.blob_key_id(item.blob_id)


@pytest.fixture
def world(db: object) -> CaseWithTeam:
    """The case and its team written while 'a' was the only key."""
    with override_settings(MASIP_KEYS=A):
        return CaseWithTeam()


@pytest.fixture
def on_key_a(world: CaseWithTeam) -> dict[EvidenceItem, bytes]:
    with override_settings(MASIP_KEYS=A):
        items = {world.upload(PNG): PNG, world.upload(LARGE): LARGE, world.upload(JPEG, file_name="p.jpg"): JPEG}
    assert {(item.key_id, header_key(item)) for item in items} == {("a", "a")}
    return items


def _tamper(path: Path) -> None:
    stored = bytearray(path.read_bytes())
    stored[-20] ^= 0x01
    path.write_bytes(bytes(stored))


def test_files_move_to_the_new_key_and_the_old_key_can_go(on_key_a, evidence_dir: Path):
    with override_settings(MASIP_KEYS=ROTATING):
        assert values_left_on_old_keys()[rotation.LABEL] == 3
        out, err = run()

    assert "3 evidence files re-encrypted, 0 left on old keys" in out
    assert "older keys can now leave MASIP_KEYS" in out
    assert err == ""
    for item in on_key_a:
        assert (row_key(item), header_key(item)) == ("b", "b")
    assert sorted(p.name for p in evidence_dir.iterdir()) == sorted(item.blob_id for item in on_key_a)
    # A keyring holding only the new key reads, and verifies, every file.
    with override_settings(MASIP_KEYS=B):
        for item, data in on_key_a.items():
            assert b"".join(storage.blob_chunks(item.blob_id)) == data
        verified = StringIO()
        call_command("verify_evidence", stdout=verified)
        assert "All 3 evidence files decrypt and match their SHA-256" in verified.getvalue()
        assert values_left_on_old_keys() == {}


def test_a_run_is_audited_with_the_file_counts(on_key_a):
    with override_settings(MASIP_KEYS=ROTATING):
        run()
    event = AuditEvent.objects.filter(action=AuditAction.ADMIN, object_type="core.keyring").get()
    assert event.detail["files_re_encrypted"] == 3
    assert event.detail["files_by_store"] == {rotation.LABEL: 3}
    assert event.detail["files_left_on_old_keys"] == 0
    assert event.detail["file_failures"] == []


def test_a_tampered_file_is_reported_and_not_re_encrypted(on_key_a, evidence_dir: Path):
    bad, good, other = list(on_key_a)
    _tamper(evidence_dir / bad.blob_id)
    tampered = (evidence_dir / bad.blob_id).read_bytes()

    with override_settings(MASIP_KEYS=ROTATING), pytest.raises(CommandError, match="1 files could not be"):
        call_command("rotate_keys", stdout=(out := StringIO()), stderr=(err := StringIO()))

    assert f"Exhibit {bad.exhibit_ref}" in err.getvalue()
    assert "failed its integrity check" in err.getvalue()
    assert good.exhibit_ref not in err.getvalue()
    assert "2 evidence files re-encrypted, 1 left on old keys" in out.getvalue()
    assert f"{rotation.LABEL}: 1 left" in out.getvalue()
    assert row_key(bad) == "a"
    assert (evidence_dir / bad.blob_id).read_bytes() == tampered
    assert not list(evidence_dir.glob("*.rekey*"))
    assert (row_key(good), row_key(other)) == ("b", "b")
    event = AuditEvent.objects.filter(action=AuditAction.ADMIN, object_type="core.keyring").get()
    assert event.detail["files_left_on_old_keys"] == 1
    assert bad.exhibit_ref in event.detail["file_failures"][0]


def test_a_file_whose_bytes_changed_under_the_right_key_is_not_re_encrypted(on_key_a):
    # Someone holding key A replaced the file: it decrypts, but not to what was uploaded.
    item = next(iter(on_key_a))
    storage.blob_delete(item.blob_id)
    with override_settings(MASIP_KEYS=A):
        storage.blob_write(item.blob_id, PNG[:-1] + b"\x00")
    with override_settings(MASIP_KEYS=ROTATING):
        done = rotation.rotate_evidence_files(keyring=_ring(ROTATING))
    assert done.re_encrypted == 2
    assert "no longer matches the SHA-256" in done.failures[0]
    assert header_key(item) == "a"


def test_a_file_under_a_key_no_longer_listed_is_reported(world: CaseWithTeam):
    with override_settings(MASIP_KEYS=f"{LOST},{A}"):
        item = world.upload()
    done = rotation.rotate_evidence_files(keyring=_ring(ROTATING))
    assert done.re_encrypted == 0
    assert "'lost', which is not in MASIP_KEYS" in done.failures[0]
    assert row_key(item) == "lost"


def _ring(spec: str):
    from masip.core.keyring import Keyring

    return Keyring.parse(spec)


def test_a_crash_before_the_swap_leaves_the_old_file_whole_and_a_rerun_finishes(on_key_a, evidence_dir: Path):
    before = {item.blob_id: (evidence_dir / item.blob_id).read_bytes() for item in on_key_a}
    with (
        override_settings(MASIP_KEYS=ROTATING),
        mock.patch.object(storage, "blob_replace", side_effect=OSError("disk full")),
        pytest.raises(OSError, match="disk full"),
    ):
        run()
    assert {item.blob_id: (evidence_dir / item.blob_id).read_bytes() for item in on_key_a} == before
    assert not list(evidence_dir.glob("*.rekey*"))
    assert set(EvidenceItem.unscoped.values_list("key_id", flat=True)) == {"a"}

    with override_settings(MASIP_KEYS=ROTATING):
        out, _ = run()
    assert "3 evidence files re-encrypted, 0 left on old keys" in out
    with override_settings(MASIP_KEYS=B):
        for item, data in on_key_a.items():
            assert b"".join(storage.blob_chunks(item.blob_id)) == data


def test_a_crash_after_the_swap_keeps_the_file_readable_and_the_row_catches_up(on_key_a):
    item, data = next(iter(on_key_a.items()))
    ring = _ring(ROTATING)
    # The file was swapped, then the process died before the row's key id was updated.
    _, rewritten = storage.blob_rewrite(item.blob_id, storage.blob_chunks(item.blob_id, keyring=ring), keyring=ring)
    storage.blob_replace(item.blob_id, rewritten)
    with override_settings(MASIP_KEYS=ROTATING):
        assert b"".join(storage.blob_chunks(item.blob_id)) == data
        assert values_left_on_old_keys()[rotation.LABEL] == 3
        run()
    assert row_key(item) == "b"


def test_a_leftover_rewrite_from_a_stopped_run_is_replaced(on_key_a, evidence_dir: Path):
    item, data = next(iter(on_key_a.items()))
    (evidence_dir / f"{item.blob_id}{storage.REKEY_SUFFIX}").write_bytes(b"half written")
    with override_settings(MASIP_KEYS=ROTATING):
        run()
    assert not list(evidence_dir.glob("*.rekey*"))
    with override_settings(MASIP_KEYS=B):
        assert b"".join(storage.blob_chunks(item.blob_id)) == data


def test_dry_run_checks_and_counts_but_writes_nothing(on_key_a, evidence_dir: Path):
    before = {p.name: p.read_bytes() for p in evidence_dir.iterdir()}
    with override_settings(MASIP_KEYS=ROTATING):
        out, _ = run("--dry-run")
    assert "3 evidence files would be re-encrypted" in out
    assert {p.name: p.read_bytes() for p in evidence_dir.iterdir()} == before
    assert set(EvidenceItem.unscoped.values_list("key_id", flat=True)) == {"a"}


def test_a_rewrite_that_does_not_read_back_is_not_swapped_in(on_key_a, evidence_dir: Path):
    item = next(iter(on_key_a))
    before = (evidence_dir / item.blob_id).read_bytes()
    real = storage.blob_chunks_at

    def misread(path, blob_id, *, keyring=None):
        if path.name.endswith(storage.REKEY_SUFFIX) and blob_id == item.blob_id:
            raise DecryptionError("The stored file is damaged.")
        return real(path, blob_id, keyring=keyring)

    with mock.patch.object(storage, "blob_chunks_at", misread):
        done = rotation.rotate_evidence_files(keyring=_ring(ROTATING))
    assert done.re_encrypted == 2
    assert item.exhibit_ref in done.failures[0]
    assert (evidence_dir / item.blob_id).read_bytes() == before
    assert not list(evidence_dir.glob("*.rekey*"))
