"""Text helpers for data that leaves masip."""

from __future__ import annotations

# A spreadsheet treats a cell starting with one of these as a formula (`=HYPERLINK(...)`).
# Tab and carriage return are included because some spreadsheets strip them and then
# evaluate what follows.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: str) -> str:
    """`value` made safe to put in a CSV cell that a spreadsheet will open.

    masip stores text as typed; only on export is a leading formula character neutralised by
    prefixing an apostrophe, which spreadsheets show as text and do not evaluate. Leading
    spaces are looked through, since some spreadsheets ignore them before evaluating.
    """
    if value.lstrip(" ").startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value
