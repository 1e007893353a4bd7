"""Text helpers for data that leaves masip."""

from __future__ import annotations

# A spreadsheet treats a cell starting with one of these as a formula (`=HYPERLINK(...)`).
# Tab and carriage return are included because some spreadsheets strip them and then
# evaluate what follows.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Full-width forms that some spreadsheets fold to the ASCII ones before evaluating.
FULL_WIDTH_TRIGGERS = ("\uff1d", "\uff0b", "\uff0d", "\uff20")
# Looked through before the first character that counts: spreadsheets skip them.
LEADING_SPACE = " \n\u00a0\u3000"


def csv_safe(value: str) -> str:
    """`value` made safe to put in a CSV cell that a spreadsheet will open.

    masip stores text as typed; only on export is a leading formula character neutralised by
    prefixing an apostrophe, which spreadsheets show as text and do not evaluate. Leading
    spaces and line breaks are looked through, since some spreadsheets ignore them before
    evaluating, and full-width formula characters count as the ASCII ones.
    """
    if value.lstrip(LEADING_SPACE).startswith(FORMULA_TRIGGERS + FULL_WIDTH_TRIGGERS):
        return "'" + value
    return value
