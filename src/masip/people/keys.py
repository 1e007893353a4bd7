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
from functools import lru_cache

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


@lru_cache(maxsize=65536)  # names repeat: most rows a query reads share a few thousand spellings
def trigrams(value: str) -> frozenset[str]:
    """pg_trgm's trigrams of one normalised name: padded with two spaces before, one after."""
    if not value:
        return frozenset()
    padded = f"  {value} "
    return frozenset(padded[i : i + 3] for i in range(len(padded) - 2))


def trigram_similarity(a: str, b: str) -> float:
    """pg_trgm's similarity() of two normalised names (shared trigrams over all trigrams), so
    that SQLite and PostgreSQL apply the same name floor."""
    ta, tb = trigrams(a), trigrams(b)
    if not ta or not tb:
        return 0.0
    shared = len(ta & tb)
    return shared / (len(ta) + len(tb) - shared)
