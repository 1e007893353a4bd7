"""Encryption at rest: what lands in the database, and what happens when it is moved or its key is gone."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.exceptions import FieldError
from django.core.management import CommandError, call_command
from django.db.models import TextField, Value
from django.db.models.functions import Cast
from django.test import override_settings

from masip.cases.models import Case, CaseNote
from masip.core.keyring import DecryptionError, Keyring, active_keyring, generate_key_spec, key_id_of
from masip.people.models import Person
from tests.factories import CaseFactory, CaseNoteFactory, PersonFactory

pytestmark = pytest.mark.django_db

SECRET = "Victim now lives at 4 Hidden Lane; new phone 07700 900999."


def stored(obj, field: str) -> str:
    """The token as stored in the column, without the field decrypting it."""
    return type(obj)._base_manager.filter(pk=obj.pk).values_list(Cast(field, TextField()), flat=True).get()


def overwrite(obj, field: str, token: str) -> None:
    """Put a raw token into a column, as someone with database access could."""
    type(obj)._base_manager.filter(pk=obj.pk).update(**{field: Value(token, output_field=TextField())})


def test_stored_value_is_ciphertext_carrying_the_primary_key_id():
    case = CaseFactory(summary=SECRET)
    token = stored(case, "summary")

    assert SECRET not in token
    assert "Hidden Lane" not in token
    assert token.startswith("enc1:")
    assert key_id_of(token) == active_keyring().primary_id
    assert Case.unscoped.get(pk=case.pk).summary == SECRET


def test_equal_plaintexts_give_different_ciphertexts():
    first, second = CaseFactory(summary=SECRET), CaseFactory(summary=SECRET)
    assert stored(first, "summary") != stored(second, "summary")


def test_empty_and_null_values_are_stored_as_they_are():
    person = PersonFactory(email="")
    assert stored(person, "email") == ""
    assert Person.unscoped.get(pk=person.pk).email == ""


def test_value_copied_to_another_column_of_the_same_row_fails_to_decrypt():
    person = PersonFactory()
    overwrite(person, "phone", stored(person, "address"))
    with pytest.raises(DecryptionError, match="integrity check"):
        Person.unscoped.get(pk=person.pk)


def test_value_copied_to_another_model_fails_to_decrypt():
    case = CaseFactory(summary=SECRET)
    note = CaseNoteFactory(case=case)
    overwrite(note, "body", stored(case, "summary"))
    with pytest.raises(DecryptionError, match="integrity check"):
        CaseNote.unscoped.get(pk=note.pk)


def test_value_copied_to_the_same_column_of_another_row_still_decrypts():
    # The binding is to the column, not the row: this documents the limit of the design.
    source, target = CaseFactory(summary=SECRET), CaseFactory()
    overwrite(target, "summary", stored(source, "summary"))
    assert Case.unscoped.get(pk=target.pk).summary == SECRET


def test_tampered_ciphertext_fails_to_decrypt():
    case = CaseFactory(summary=SECRET)
    token = stored(case, "summary")
    flipped = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    overwrite(case, "summary", flipped)
    with pytest.raises(DecryptionError, match="integrity check"):
        Case.unscoped.get(pk=case.pk)


def test_value_under_a_key_missing_from_the_keyring_gives_a_clear_error():
    old = generate_key_spec("old-2025")
    with override_settings(MASIP_KEYS=old):
        case = CaseFactory(summary=SECRET)
    with (
        override_settings(MASIP_KEYS=generate_key_spec("new-2026")),
        pytest.raises(DecryptionError, match=r"key 'old-2025', which is not in MASIP_KEYS: restore that key"),
    ):
        Case.unscoped.get(pk=case.pk)


def test_field_refuses_to_encrypt_a_value_that_is_already_a_ciphertext():
    token = stored(CaseFactory(summary=SECRET), "summary")
    with pytest.raises(ValueError, match="already a masip ciphertext"):
        CaseFactory(summary=token)


@pytest.mark.parametrize(
    "lookup",
    [
        {"summary": SECRET},
        {"summary__exact": SECRET},
        {"summary__iexact": SECRET},
        {"summary__icontains": "Hidden"},
        {"summary__startswith": "Victim"},
        {"summary__in": [SECRET]},
        {"summary__gt": ""},
    ],
    ids=lambda lookup: next(iter(lookup)),
)
def test_encrypted_fields_refuse_sql_lookups(lookup):
    CaseFactory(summary=SECRET)
    with pytest.raises(FieldError):
        Case.unscoped.filter(**lookup).exists()


def test_encrypted_fields_allow_isnull():
    CaseFactory(summary=SECRET)
    assert Case.unscoped.filter(summary__isnull=False).count() == 1
    assert not Case.unscoped.filter(summary__isnull=True).exists()


# --- generate_key -----------------------------------------------------------------------------


def test_generate_key_prints_one_usable_key_spec():
    out = StringIO()
    call_command("generate_key", "--id", "2026-11", stdout=out)
    spec = out.getvalue().strip()

    keyring = Keyring.parse(spec)
    assert keyring.primary_id == "2026-11"
    assert len(keyring.keys["2026-11"]) == 32
    assert keyring.decrypt(keyring.encrypt(SECRET, context="x"), context="x") == SECRET


def test_generate_key_gives_a_fresh_key_each_time():
    first, second = StringIO(), StringIO()
    call_command("generate_key", "--id", "k", stdout=first)
    call_command("generate_key", "--id", "k", stdout=second)
    assert first.getvalue() != second.getvalue()


@pytest.mark.parametrize("bad_id", ["has space", "colon:inside", "x" * 33, ""])
def test_generate_key_refuses_a_bad_id(bad_id):
    with pytest.raises(CommandError, match="must be 1-32 letters"):
        call_command("generate_key", "--id", bad_id)


def test_generate_key_needs_an_id():
    with pytest.raises(CommandError, match="--id"):
        call_command("generate_key")
