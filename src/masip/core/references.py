"""Numbered references staff quote (`NSU-REF-2026-0042`, `NSU-2026-0007`)."""

from __future__ import annotations

from typing import Any

from django.db.models.functions import Length


def last_number(queryset: Any, prefix: str) -> int:
    """The highest `n` of the references `<prefix><n>` in `queryset`, or 0 when there are none.

    One indexed-prefix query that returns one row, whatever the number of references: a longer
    number is a larger one (numbers are zero-padded to a minimum width, never beyond it), and
    among equally long ones the string order is the numeric order. The caller holds whatever
    lock makes the next number its own.
    """
    rows = (
        queryset.filter(reference__startswith=prefix)
        .annotate(reference_length=Length("reference"))
        .order_by("-reference_length", "-reference")
        .values_list("reference", flat=True)
    )
    for reference in rows.iterator():
        suffix = reference.removeprefix(prefix)
        if suffix.isdigit():
            return int(suffix)
    return 0
