"""`manage.py rotate_keys`: every value moves onto the primary key, in batches, resumably, audited."""

from __future__ import annotations

import json
import uuid
from io import StringIO
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db.models import TextField, Value
from django.db.models.functions import Cast
from django.test import override_settings

from masip.audit.models import AuditAction, AuditEvent
from masip.cases.models import Case, CaseNote
from masip.core import rotation
from masip.core.keyring import generate_key_spec, key_id_of
from masip.people.models import Person
from masip.referrals.models import Referral
from tests.factories import CaseFactory, CaseNoteFactory, PersonFactory, ReferralFactory

pytestmark = pytest.mark.django_db

OLD = generate_key_spec("old")
NEW = generate_key_spec("new")
LOST = generate_key_spec("lost")
ROTATING = f"{NEW},{OLD}"


def stored_tokens() -> dict[tuple[str, object, str], str]:
    """Every non-empty stored token of every encrypted column, as it sits in the database."""
    tokens = {}
    for model, fields in rotation.encrypted_columns():
        for f in fields:
            for pk, token in model._base_manager.values_list("pk", Cast(f.attname, output_field=TextField())):
                if token:
                    tokens[(model._meta.label_lower, pk, f.name)] = token
    return tokens


def key_ids() -> set[str | None]:
    return {key_id_of(token) for token in stored_tokens().values()}


def run(*args: str) -> str:
    out = StringIO()
    call_command("rotate_keys", *args, stdout=out)
    return out.getvalue()


def rotation_events():
    return AuditEvent.objects.filter(action=AuditAction.ADMIN, object_type="core.keyring").order_by("seq")


@pytest.fixture
def old_data():
    """Case data of every encrypted kind, written while 'old' was the only key."""
    with override_settings(MASIP_KEYS=OLD):
        cases = [CaseFactory(summary=f"Summary {i}") for i in range(3)]
        notes = [CaseNoteFactory(case=cases[0], body=f"Note {i}") for i in range(2)]
        person = PersonFactory(address="1 Old Road", phone="07700 900001", email="")
        referral = ReferralFactory(summary="Referral text")
    plaintexts = {
        **{(Case, c.pk, "summary"): c.summary for c in cases},
        **{(CaseNote, n.pk, "body"): n.body for n in notes},
        (Person, person.pk, "address"): "1 Old Road",
        (Person, person.pk, "phone"): "07700 900001",
        (Referral, referral.pk, "summary"): "Referral text",
    }
    assert key_ids() == {"old"}
    return plaintexts


def assert_readable(plaintexts) -> None:
    for (model, pk, name), plaintext in plaintexts.items():
        assert getattr(model._default_manager.get(pk=pk), name) == plaintext


def test_rotation_moves_every_value_to_the_new_key_and_the_old_key_can_go(old_data):
    versions = dict(Case.unscoped.values_list("pk", "version"))
    updated = dict(Case.unscoped.values_list("pk", "updated_at"))

    with override_settings(MASIP_KEYS=ROTATING):
        output = run("--batch-size", "2")

    assert f"{len(old_data)} values and 0 evidence files re-encrypted, 0 left on old keys" in output
    assert "older keys can now leave MASIP_KEYS" in output
    assert key_ids() == {"new"}
    with override_settings(MASIP_KEYS=NEW):
        assert_readable(old_data)
    # Content did not change, so neither did the optimistic-concurrency version or the edit time.
    assert dict(Case.unscoped.values_list("pk", "version")) == versions
    assert dict(Case.unscoped.values_list("pk", "updated_at")) == updated


def test_a_run_is_audited_once_with_counts_and_no_values(old_data):
    with override_settings(MASIP_KEYS=ROTATING):
        run("--batch-size", "3")

    (event,) = rotation_events()
    assert event.actor is None
    assert event.detail["re_encrypted"] == len(old_data)
    assert event.detail["left_on_old_keys"] == 0
    assert event.detail["primary_key_id"] == "new"
    assert event.detail["by_field"]["people.person.address"] == 1
    recorded = json.dumps(event.detail)
    for plaintext in old_data.values():
        assert plaintext not in recorded


def test_rotation_is_resumable_after_max_batches(old_data):
    with override_settings(MASIP_KEYS=ROTATING):
        first = run("--batch-size", "1", "--max-batches", "1")
        assert key_ids() == {"new", "old"}
        done = rotation_events().get().detail["re_encrypted"]
        assert 1 <= done < len(old_data)
        assert f"{done} values and 0 evidence files re-encrypted, {len(old_data) - done} left on old keys" in first
        assert "Run rotate_keys again" in first

        second = run("--batch-size", "2")

    assert f"{len(old_data) - done} values and 0 evidence files re-encrypted, 0 left on old keys" in second
    assert key_ids() == {"new"}
    assert [e.detail["re_encrypted"] for e in rotation_events()] == [done, len(old_data) - done]
    with override_settings(MASIP_KEYS=NEW):
        assert_readable(old_data)


def test_rerun_after_completion_touches_nothing(old_data):
    with override_settings(MASIP_KEYS=ROTATING):
        run()
        before = stored_tokens()
        output = run()
    assert "0 values and 0 evidence files re-encrypted, 0 left on old keys" in output
    assert stored_tokens() == before


def test_dry_run_writes_nothing(old_data):
    before = stored_tokens()
    events_before = AuditEvent.objects.count()

    with override_settings(MASIP_KEYS=ROTATING):
        output = run("--dry-run", "--batch-size", "2")

    assert f"Dry run, nothing written: {len(old_data)} values and 0 evidence files would be re-encrypted" in output
    assert stored_tokens() == before
    assert AuditEvent.objects.count() == events_before


def test_value_under_a_missing_key_stops_with_a_clear_error_and_its_batch_unwritten():
    with override_settings(MASIP_KEYS=OLD):
        first = CaseFactory(id=uuid.UUID(int=1), summary="first")
        second = CaseFactory(id=uuid.UUID(int=2), summary="second")
        third = CaseFactory(id=uuid.UUID(int=3), summary="third")
    with override_settings(MASIP_KEYS=LOST):
        lost = CaseFactory(id=uuid.UUID(int=4), summary="lost")

    with (
        override_settings(MASIP_KEYS=ROTATING),
        pytest.raises(CommandError, match=r"cases\.case\.summary \(row .*\) is encrypted with key 'lost'"),
    ):
        run("--batch-size", "2")

    tokens = stored_tokens()
    # The first batch (rows 1 and 2) committed; the batch holding the bad value (3 and 4) did not.
    assert key_id_of(tokens[("cases.case", first.pk, "summary")]) == "new"
    assert key_id_of(tokens[("cases.case", second.pk, "summary")]) == "new"
    assert key_id_of(tokens[("cases.case", third.pk, "summary")]) == "old"
    assert key_id_of(tokens[("cases.case", lost.pk, "summary")]) == "lost"
    (event,) = rotation_events()
    assert "'lost'" in event.detail["error"]
    assert event.detail["re_encrypted"] == 2


def test_value_that_is_not_a_ciphertext_stops_the_run():
    case = CaseFactory()
    Case._base_manager.filter(pk=case.pk).update(summary=Value("left in plain text", output_field=TextField()))
    with override_settings(MASIP_KEYS=ROTATING), pytest.raises(CommandError, match="not a masip ciphertext"):
        run()


def test_a_value_edited_during_the_batch_is_not_overwritten(old_data):
    case_pk = min(pk for (model, pk, _) in old_data if model is Case)
    real_plaintext = rotation._plaintext

    def edit_while_rotating(keyring, model, f, pk, token):
        plaintext = real_plaintext(keyring, model, f, pk, token)
        if pk == case_pk:
            Case.unscoped.filter(pk=case_pk).update(summary="Edited by a caseworker meanwhile")
        return plaintext

    with override_settings(MASIP_KEYS=ROTATING), mock.patch.object(rotation, "_plaintext", edit_while_rotating):
        result = rotation.rotate_keys(batch_size=10)

    assert result.changed_meanwhile == 1
    assert result.left_on_old_keys == 0
    with override_settings(MASIP_KEYS=NEW):
        assert Case.unscoped.get(pk=case_pk).summary == "Edited by a caseworker meanwhile"


@pytest.mark.parametrize("args", [("--batch-size", "0"), ("--max-batches", "-1"), ("--batch-size", "many")])
def test_bad_arguments_are_refused(args):
    with pytest.raises(CommandError, match="not a whole number of 1 or more"):
        run(*args)
