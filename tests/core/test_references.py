"""The next number of a reference comes from one query, and numbers past the padding still count."""

from __future__ import annotations

import pytest

from masip.cases.models import Case
from masip.core.references import last_number
from tests.factories import CaseFactory, UnitFactory

pytestmark = pytest.mark.django_db


def test_the_highest_number_wins_even_past_the_zero_padding():
    unit = UnitFactory()
    for reference in ("NSU-2026-0009", "NSU-2026-0010", "NSU-2026-10000", "NSU-2026-0999", "NSU-2025-20000"):
        CaseFactory(unit=unit, reference=reference)
    assert last_number(Case.unscoped.all(), "NSU-2026-") == 10000


def test_a_reference_that_is_not_numbered_is_passed_over():
    unit = UnitFactory()
    CaseFactory(unit=unit, reference="NSU-2026-0003")
    CaseFactory(unit=unit, reference="NSU-2026-MIGRATED")
    assert last_number(Case.unscoped.all(), "NSU-2026-") == 3
    assert last_number(Case.unscoped.all(), "XYZ-2026-") == 0
