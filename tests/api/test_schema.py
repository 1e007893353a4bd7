"""The committed OpenAPI document is the one the code produces."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management import call_command

COMMITTED = Path(settings.BASE_DIR) / "docs" / "openapi.yaml"


def test_committed_openapi_document_matches_the_code(tmp_path):
    generated = tmp_path / "openapi.yaml"
    # --fail-on-warn: a warning means spectacular guessed, and a guess is not a contract.
    call_command("spectacular", "--file", str(generated), "--validate", "--fail-on-warn")
    assert COMMITTED.exists(), "docs/openapi.yaml is missing: run `make schema` and commit it."
    assert generated.read_text() == COMMITTED.read_text(), (
        "docs/openapi.yaml differs from what the API code produces: run `make schema` and commit the result."
    )
