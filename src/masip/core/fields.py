"""Encrypted model fields: AES-GCM at rest, plaintext in Python.

Encrypted values cannot be filtered or ordered on in SQL; keep searchable data (names) in
plain fields and put free text and contact details here.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from masip.core.keyring import active_keyring, key_id_of


class EncryptedTextField(models.TextField):
    """A text field stored as an AES-GCM ciphertext bound to its model and column."""

    description = "Text encrypted at rest (AES-GCM)"

    def contribute_to_class(self, cls: type[models.Model], name: str, private_only: bool = False) -> None:
        super().contribute_to_class(cls, name, private_only)
        self._context = f"{cls._meta.label_lower}.{name}"

    @property
    def encryption_context(self) -> str:
        return self._context

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return active_keyring().decrypt(value, context=self._context)

    def get_prep_value(self, value: Any) -> str | None:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        if key_id_of(value) is not None:
            raise ValueError("Refusing to encrypt a value that is already a masip ciphertext.")
        return active_keyring().encrypt(value, context=self._context)

    def get_lookup(self, lookup_name: str) -> Any:
        # A random nonce makes equal plaintexts differ, so only NULL tests mean anything in SQL;
        # any other lookup raises FieldError instead of silently matching nothing.
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        return None


def encrypted_fields(model: type[models.Model]) -> list[EncryptedTextField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
