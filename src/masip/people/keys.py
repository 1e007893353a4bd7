"""Matching keys computed from names: normalised spellings and phonetic codes.

Phonetic code: jellyfish's Metaphone. It was chosen over NYSIIS after comparing both on
common British spelling variants: Metaphone gives one code for Smith/Smyth, Catherine/Kathryn,
Taylor/Tailor and Geoffrey/Jeffrey, where NYSIIS splits each pair (it keeps the first letter
and vowel positions). Neither is perfect (Metaphone splits Thompson/Tomson), which is why
matching also blocks on the date of birth and ranks with a spelling similarity.
"""

from __future__ import annotations

import re
import unicodedata

import jellyfish

_NOT_LETTER = re.compile(r"[^a-z]")


def normalise_name(value: str) -> str:
    """Lower case, accents and punctuation removed: "O'Brien-Smith " -> "obriensmith"."""
    decomposed = unicodedata.normalize("NFKD", value or "")
    ascii_only = decomposed.encode("ascii", "ignore").decode()
    return _NOT_LETTER.sub("", ascii_only.lower())


def phonetic(value: str) -> str:
    """Metaphone code of a name ('' for a blank name); never longer than the column (16)."""
    normalised = normalise_name(value)
    if not normalised:
        return ""
    return jellyfish.metaphone(normalised)[:16]
