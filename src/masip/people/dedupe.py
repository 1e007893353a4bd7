"""Batch de-duplication of a legacy people file: which rows are probably the same person.

Used when a unit migrates its old records into masip (`manage.py dedupe_people`). It works on
the file alone, without the database, in four steps (see /work/shared/PERFORMANCE.md):

1. **Read and normalise** every row: names lower-cased without accents or punctuation, with
   their Metaphone codes (`masip.people.keys`); dates of birth in the common formats (day
   first, as in the UK); postcodes without spaces, with their outward code; the first address
   line with the usual street abbreviations.
2. **Block** on several independent keys, so that a duplicate is compared with its original
   when any one of them survives the difference: the date of birth (day and month in either
   order), the phonetic codes of both names (in either order, the given name widened by its
   known familiar forms), the postcode, the first address line in its town, the surname code
   with the year of birth, the given name code with the year, the day and month of birth with
   both initials. Only pairs that share a key are compared.
3. **Compare** each candidate pair field by field into an agreement level (exact, a known
   nickname, phonetic, Jaro-Winkler bands; exact, swapped, one-day and one-digit dates of
   birth; same address, same postcode, same district, same town...). For speed (about 1.4
   million pairs at 100,000 rows, in pure Python), each record's values are first turned into
   small ints, and names and address lines are compared once per distinct pair of values
   (`Comparer`); the levels are exactly those of `compare()`.
4. **Weigh** each level Fellegi-Sunter style, with weights estimated from the file itself:
   u-probabilities (how often two *different* people agree so) from random pairs, with the
   exact levels computed from the value frequencies; m-probabilities (how often two records of
   the *same* person agree so) by expectation-maximisation on the candidate pairs, each field
   estimated on pairs blocked on other fields only (pairs sharing a date of birth teach the
   name and address weights, pairs sharing both names teach the date-of-birth weights), so
   that blocking does not bias it. An exact name match weighs more for a rare name than for a
   common one. The score is the resulting match probability.

Everything here is a pure function of its input (random pairs come from a seeded generator),
so the same file gives the same pairs.
"""

from __future__ import annotations

import csv
import gc
import io
import math
import random
import re
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from itertools import compress, repeat
from pathlib import Path

from rapidfuzz.distance import Hamming, JaroWinkler

from masip.people.keys import normalise_name, phonetic
from masip.people.nicknames import FORMS, forms_of

COLUMNS = ("id", "given_name", "surname", "date_of_birth", "sex", "address_1", "address_2", "town", "postcode")
DEFAULT_THRESHOLD = 0.5
MAX_BLOCK = 250  # a key shared by more rows than this (a blank-like value) says too little to compare them all
RANDOM_PAIRS = 200_000
EM_ITERATIONS = 40
EARLIEST_BIRTH = date(1880, 1, 1)


class DedupeInputError(ValueError):
    """The input file cannot be read as a people file; the message says what to do."""


# --- Reading ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Record:
    """One row, normalised for comparison. Text fields are '' when blank."""

    id: str
    given: str
    surname: str
    given_code: str
    surname_code: str
    born: date | None
    sex: str
    address: str
    house: str
    town: str
    postcode: str
    outward: str
    line: int = 0
    born_digits: str = ""  # YYYYMMDD, for one-digit differences
    born_day: int = 0  # date.toordinal(), for dates a day apart


@dataclass(frozen=True)
class BadRow:
    line: int
    message: str
    kept: bool = False  # a warning: the row was kept with the field treated as blank


_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_YEAR_FIRST = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[t ][0-9:.]*z?)?$")  # lower-cased
_DAY_FIRST = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}|\d{2})(?: [0-9:.]*)?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_WORDS = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?[ -]+([a-z]+)\.?,?[ -]+(\d{4})$")


def parse_date(text: str, *, today: date | None = None) -> date | None:
    """A date of birth written in a common format, day before month as in the UK.

    Accepts 1984-03-07 (with or without a time), 1984/03/07, 19840307, 07/03/1984, 7-3-1984,
    07.03.1984, 07/03/84 (a two-digit year is in the past century when it would otherwise be
    in the future) and 7 March 1984 / 7 Mar 1984. Returns None for a blank value; raises
    ValueError for anything else, or for a date before 1880 or after `today`.
    """
    value = text.strip().lower()
    if not value:
        return None
    today = today or datetime.now(tz=UTC).date()
    if match := _YEAR_FIRST.match(value) or _COMPACT.match(value):
        year, month, day = (int(part) for part in match.groups())
    elif match := _DAY_FIRST.match(value):
        day, month, year = (int(part) for part in match.groups())
        if len(match.group(3)) == 2:
            year += 2000 if 2000 + year <= today.year else 1900
    elif (match := _WORDS.match(value)) and match.group(2) in _MONTHS:
        day, month, year = int(match.group(1)), _MONTHS[match.group(2)], int(match.group(3))
    else:
        raise ValueError(f"date of birth {text.strip()!r} is not a date masip understands (use YYYY-MM-DD)")
    try:
        born = date(year, month, day)
    except ValueError:
        raise ValueError(f"date of birth {text.strip()!r} does not exist") from None
    if not EARLIEST_BIRTH <= born <= today:
        raise ValueError(f"date of birth {text.strip()!r} is before 1880 or in the future")
    return born


_SEXES = {"m": "m", "male": "m", "man": "m", "f": "f", "female": "f", "woman": "f"}
_UNKNOWN_SEX = {"", "u", "unknown", "not known", "not stated", "notknown", "n/k", "nk", "?"}


def normalise_sex(text: str) -> str:
    """'m', 'f', another recorded value lower-cased (e.g. 'x'), or '' when not known."""
    value = text.strip().lower()
    if value in _UNKNOWN_SEX:
        return ""
    return _SEXES.get(value, value)


_STREET_WORDS = {
    "road": "rd",
    "street": "st",
    "avenue": "ave",
    "av": "ave",
    "lane": "ln",
    "close": "cl",
    "drive": "dr",
    "court": "ct",
    "crescent": "cres",
    "place": "pl",
    "gardens": "gdns",
    "square": "sq",
    "terrace": "ter",
    "terr": "ter",
    "grove": "gr",
    "way": "way",
    "flat": "flat",
    "apartment": "flat",
    "apt": "flat",
}
_NOT_WORD = re.compile(r"[^a-z0-9 ]+")
_NUMBER = re.compile(r"\d+[a-z]?")


def normalise_address(text: str) -> str:
    """Lower case, no punctuation, street words abbreviated: '12, High Street.' -> '12 high st'."""
    words = _NOT_WORD.sub(" ", normalise_text(text)).split()
    return " ".join(_STREET_WORDS.get(word, word) for word in words)


def normalise_text(text: str) -> str:
    """Lower case, accents removed, spaces collapsed."""
    value = text.strip().lower()
    if value.isascii():
        return " ".join(value.split())
    import unicodedata

    ascii_only = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return " ".join(ascii_only.split())


def normalise_postcode(text: str) -> str:
    """Upper case without spaces: 'sw1a 1aa' -> 'SW1A1AA'."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


def outward_code(postcode: str) -> str:
    """The district part of a normalised UK postcode ('SW1A1AA' -> 'SW1A'); all of it if short."""
    return postcode[:-3] if len(postcode) >= 5 else postcode


_codes: dict[str, str] = {}


def _code(name: str) -> str:
    if (known := _codes.get(name)) is None:
        known = _codes[name] = phonetic(name)
    return known


class _Normaliser:
    """Normalises the fields of many rows, each distinct raw value once (values repeat a lot)."""

    def __init__(self, today: date | None = None) -> None:
        self.today = today or datetime.now(tz=UTC).date()
        self.dates: dict[str, tuple[date | None, str, str, int]] = {}
        self.names: dict[str, tuple[str, str]] = {}
        self.addresses: dict[str, tuple[str, str]] = {}
        self.towns: dict[str, str] = {}
        self.postcodes: dict[str, tuple[str, str]] = {}

    def date(self, text: str) -> tuple[date | None, str, str, int]:
        """The date of birth, a warning or '', its YYYYMMDD digits and its ordinal (0 if blank)."""
        known = self.dates.get(text)
        if known is None:
            warning = ""
            try:
                born = parse_date(text, today=self.today)
            except ValueError as error:
                born, warning = None, f"{error}; compared without a date of birth"
            if born is None:
                known = (None, warning, "", 0)
            else:
                known = (born, warning, f"{born.year:04d}{born.month:02d}{born.day:02d}", born.toordinal())
            self.dates[text] = known
        return known

    def name(self, text: str) -> tuple[str, str]:
        known = self.names.get(text)
        if known is None:
            name = normalise_name(text)
            known = self.names[text] = (name, _code(name))
        return known

    def address(self, text: str) -> tuple[str, str]:
        known = self.addresses.get(text)
        if known is None:
            address = normalise_address(text)
            house = _NUMBER.search(address)
            known = self.addresses[text] = (address, house.group() if house else "")
        return known

    def town(self, text: str) -> str:
        known = self.towns.get(text)
        if known is None:
            known = self.towns[text] = normalise_address(text)
        return known

    def postcode(self, text: str) -> tuple[str, str]:
        known = self.postcodes.get(text)
        if known is None:
            postcode = normalise_postcode(text)
            known = self.postcodes[text] = (postcode, outward_code(postcode))
        return known


def make_record(
    row: dict[str, str], *, line: int = 0, today: date | None = None, normaliser: _Normaliser | None = None
) -> tuple[Record, str]:
    """A normalised record from one row (missing columns count as blank) and a warning or ''.

    A date of birth that cannot be read is treated as blank and explained in the warning.
    `normaliser` (which then gives `today`) is shared by the rows of one file.
    """
    clean = normaliser or _Normaliser(today)
    born, warning, born_digits, born_day = clean.date(row.get("date_of_birth") or "")
    given, given_code = clean.name(row.get("given_name") or "")
    surname, surname_code = clean.name(row.get("surname") or "")
    address, house = clean.address(row.get("address_1") or "")
    postcode, outward = clean.postcode(row.get("postcode") or "")
    record = Record(
        id=(row.get("id") or "").strip(),
        given=given,
        surname=surname,
        given_code=given_code,
        surname_code=surname_code,
        born=born,
        sex=normalise_sex(row.get("sex") or ""),
        address=address,
        house=house,
        town=clean.town(row.get("town") or ""),
        postcode=postcode,
        outward=outward,
        line=line,
        born_digits=born_digits,
        born_day=born_day,
    )
    return record, warning


def decode_people_file(data: bytes) -> str:
    """The text of a CSV file, or DedupeInputError if it is binary or not UTF-8."""
    head = data[:65536]
    if head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise DedupeInputError("The input is a spreadsheet or zip file, not CSV: save it as 'CSV UTF-8' and try again.")
    if b"\x00" in head:
        raise DedupeInputError("The input looks like a binary file, not CSV: export the people as 'CSV UTF-8'.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise DedupeInputError(
            f"The input is not UTF-8 text (the first byte that is not is on line {line}): "
            "save it as 'CSV UTF-8' and try again."
        ) from None


@contextmanager
def _without_cycle_collector() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a while.

    Reading and comparing make millions of short-lived tuples that form no reference cycles;
    the collector's repeated full passes over them cost about a fifth of the time.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def read_people(text: str, *, today: date | None = None) -> tuple[list[Record], list[BadRow]]:
    """The records of a people CSV (with a header row naming at least COLUMNS) and its bad rows.

    Raises DedupeInputError when the header lacks a column. A row with the wrong number of
    fields, no id or an id seen before is skipped and reported; a date of birth that cannot be
    read is reported and the row kept without it. Blank lines are ignored.
    """
    with _without_cycle_collector():
        return _read_people(text, today=today)


def _read_people(text: str, *, today: date | None) -> tuple[list[Record], list[BadRow]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise DedupeInputError(f"The input is empty: it needs a header row ({','.join(COLUMNS)}).") from None
    except csv.Error as error:
        raise DedupeInputError(f"The header row cannot be read as CSV ({error}).") from None
    names = [name.strip().lower() for name in header]
    missing = [column for column in COLUMNS if column not in names]
    if missing:
        raise DedupeInputError(
            f"The input has no {', '.join(missing)} column{'s' if len(missing) > 1 else ''}: "
            f"the header row must name {','.join(COLUMNS)} (any value may be blank)."
        )
    records: list[Record] = []
    bad: list[BadRow] = []
    seen: set[str] = set()
    width = len(names)
    normaliser = _Normaliser(today)
    rows = iter(reader)
    while True:
        try:
            fields = next(rows)
        except StopIteration:
            break
        except csv.Error as error:
            bad.append(BadRow(reader.line_num, f"cannot be read as CSV ({error}); skipped"))
            continue
        line = reader.line_num
        if not any(value.strip() for value in fields):
            continue
        if len(fields) != width:
            bad.append(BadRow(line, f"has {len(fields)} fields where the header has {width}; skipped"))
            continue
        row = dict(zip(names, fields, strict=True))
        record, warning = make_record(row, line=line, normaliser=normaliser)
        if not record.id:
            bad.append(BadRow(line, "has no id; skipped"))
            continue
        if record.id in seen:
            bad.append(BadRow(line, f"repeats the id {record.id!r} of an earlier row; skipped"))
            continue
        seen.add(record.id)
        if warning:
            bad.append(BadRow(line, warning, kept=True))
        records.append(record)
    return records, bad


# --- Comparing --------------------------------------------------------------------------------

# Agreement levels. 0 is always "not comparable" (a value missing on either side): it weighs
# nothing either way. Higher numbers are closer agreement.
NULL = 0
NAME_DIFFERENT, NAME_INITIAL, NAME_SIMILAR, NAME_CLOSE, NAME_PHONETIC, NAME_NICKNAME, NAME_EXACT = range(1, 8)
DOB_DIFFERENT, DOB_TYPO, DOB_ONE_DAY, DOB_SWAPPED, DOB_EXACT = range(1, 6)
SEX_DIFFERENT, SEX_SAME = 1, 2
(
    PLACE_DIFFERENT,
    PLACE_TOWN,
    PLACE_DISTRICT,
    PLACE_ADDRESS_LINE,
    PLACE_POSTCODE,
    PLACE_ADDRESS,
) = range(1, 7)

FIELDS = ("given name", "surname", "date of birth", "sex", "address")
GIVEN, SURNAME, DOB, SEX, PLACE = range(5)
LEVELS = (7, 7, 5, 2, 6)  # highest level of each field

Pattern = tuple[int, int, int, int, int]

_JW_CLOSE = 0.92
_JW_SIMILAR = 0.84


@lru_cache(maxsize=1 << 20)  # names repeat: most pairs compare names already compared
def name_level(a: str, b: str, a_code: str, b_code: str, given: bool) -> int:
    """How two normalised names agree; nicknames and initials count for given names only."""
    if not a or not b:
        return NULL
    if a == b:
        return NAME_EXACT
    if given:
        if len(a) == 1 or len(b) == 1:
            return NAME_INITIAL if a[0] == b[0] else NAME_DIFFERENT
        if b in forms_of(a):
            return NAME_NICKNAME
    if a_code and a_code == b_code:
        return NAME_PHONETIC
    similarity = JaroWinkler.normalized_similarity(a, b)
    if similarity >= _JW_CLOSE:
        return NAME_CLOSE
    if similarity >= _JW_SIMILAR:
        return NAME_SIMILAR
    return NAME_DIFFERENT


def names_levels(a: Record, b: Record) -> tuple[int, int, bool]:
    """Given-name and surname levels, and whether they agree better with the names swapped."""
    g = name_level(a.given, b.given, a.given_code, b.given_code, True)
    s = name_level(a.surname, b.surname, a.surname_code, b.surname_code, False)
    if g <= NAME_SIMILAR or s <= NAME_SIMILAR:
        gx = name_level(a.given, b.surname, a.given_code, b.surname_code, False)
        if gx >= NAME_CLOSE:
            sx = name_level(a.surname, b.given, a.surname_code, b.given_code, False)
            if sx >= NAME_CLOSE and gx + sx > g + s:
                return gx, sx, True
    return g, s, False


def dob_level(a: Record, b: Record) -> int:
    if not a.born_day or not b.born_day:
        return NULL
    if a.born_day == b.born_day:
        return DOB_EXACT
    x, y = a.born_digits, b.born_digits
    if x[:4] == y[:4] and x[4:6] == y[6:8] and x[6:8] == y[4:6]:
        return DOB_SWAPPED
    if abs(a.born_day - b.born_day) == 1:
        return DOB_ONE_DAY
    return _dob_digits_level(x, y)
    return DOB_DIFFERENT


def sex_level(a: str, b: str) -> int:
    if not a or not b:
        return NULL
    return SEX_SAME if a == b else SEX_DIFFERENT


def _same_line(a: Record, b: Record) -> bool:
    if not a.address or not b.address:
        return False
    if a.address == b.address:
        return True
    return a.house == b.house and JaroWinkler.normalized_similarity(a.address, b.address) >= 0.9


def place_level(a: Record, b: Record) -> int:
    """How two addresses agree, as one field: postcode, first line, district and town move together."""
    same_postcode = bool(a.postcode) and a.postcode == b.postcode
    same_line = _same_line(a, b)
    if same_postcode:
        return PLACE_ADDRESS if same_line else PLACE_POSTCODE
    other_town = bool(a.town and b.town and a.town != b.town)
    other_district = bool(a.outward and b.outward and a.outward != b.outward)
    if same_line and not (other_town and other_district):
        return PLACE_ADDRESS_LINE
    if a.outward and a.outward == b.outward:
        return PLACE_DISTRICT
    if a.town and a.town == b.town:
        return PLACE_TOWN
    if (a.postcode and b.postcode) or (a.address and b.address) or (a.town and b.town):
        return PLACE_DIFFERENT
    return NULL


def compare(a: Record, b: Record) -> Pattern:
    """The agreement level of each field (FIELDS order) for a pair of records."""
    g, s, _ = names_levels(a, b)
    return (g, s, dob_level(a, b), sex_level(a.sex, b.sex), place_level(a, b))


# A compared pair is coded as one int (for counting and storing 1M+ pairs cheaply): the levels
# in mixed radix, and in the lowest bit whether the names agree better swapped.
_RADIX = (2016, 252, 42, 14, 2)  # given 0-7, surname 0-7, date of birth 0-5, sex 0-2, address 0-6


def pattern_of(code: int) -> tuple[Pattern, bool]:
    """The agreement levels (FIELDS order) of a coded pair, and whether its names were swapped."""
    return (code // 2016, code // 252 % 8, code // 42 % 6, code // 14 % 3, code // 2 % 7), bool(code & 1)


def _dob_digits_level(x: str, y: str) -> int:
    """The end of dob_level for two YYYYMMDD dates with the same day and month or within two digits."""
    if x[4:] == y[4:] and abs(int(x[:4]) - int(y[:4])) in (1, 10):
        return DOB_TYPO
    differences = Hamming.distance(x, y)
    if differences == 1:
        return DOB_TYPO
    if differences == 2:  # two neighbouring digits transposed: 1979 / 1997
        where = [k for k in range(8) if x[k] != y[k]]
        if where[1] == where[0] + 1 and x[where[0]] == y[where[1]] and x[where[1]] == y[where[0]]:
            return DOB_TYPO
    return DOB_DIFFERENT


class Comparer:
    """compare() for many pairs of one file's records, by index, on features computed once.

    Each record's values become small ints (equal ints, equal values), so most fields compare
    as ints; the string comparisons (names, address lines) are made once per distinct pair of
    values and remembered. `codes()` gives exactly what compare() and names_levels() would.
    """

    def __init__(self, records: Sequence[Record]) -> None:
        self.n = len(records)
        ids: dict[str, int] = {"": 0}
        self.names = [""]  # distinct names (given and surnames together), by id; 0 is blank
        self.name_codes = [""]

        def intern_name(name: str, code: str) -> int:
            known = ids.get(name)
            if known is None:
                known = ids[name] = len(self.names)
                self.names.append(name)
                self.name_codes.append(code)
            return known

        values: dict[tuple[str, str], int] = {}

        def intern(kind: str, value: str) -> int:
            if not value:
                return 0
            known = values.get((kind, value))
            if known is None:
                known = values[(kind, value)] = len(values) + 1
            return known

        lines = {"": 0}
        self.features = [
            (
                intern_name(r.given, r.given_code),
                intern_name(r.surname, r.surname_code),
                r.born_day,
                intern("sex", r.sex),
                intern("postcode", r.postcode),
                lines.setdefault(r.address, len(lines)),
                intern("house", r.house),
                intern("town", r.town),
                intern("outward", r.outward),
            )
            for r in records
        ]
        self.dates = [
            (r.born.year, r.born.month, r.born.day, r.born_digits) if r.born else (0, 0, 0, "") for r in records
        ]
        self.lines = list(lines)
        self.given_cache: dict[int, int] = {}
        self.name_cache: dict[int, int] = {}
        self.line_cache: dict[int, bool] = {}

    def _name(self, a: int, b: int, given: bool) -> int:
        level = name_level(self.names[a], self.names[b], self.name_codes[a], self.name_codes[b], given)
        (self.given_cache if given else self.name_cache)[a * len(self.names) + b] = level
        return level

    def _line(self, a: int, b: int) -> bool:
        same = self.line_cache[a * len(self.lines) + b] = (
            JaroWinkler.normalized_similarity(self.lines[a], self.lines[b]) >= 0.9
        )
        return same

    def codes(self, groups: Iterable[tuple[int, Iterable[int]]]) -> array[int]:
        """The coded agreement (see pattern_of) of each pair (i, j), given as i and its js, in order."""
        features, dates = self.features, self.dates
        width, lines_count = len(self.names), len(self.lines)
        given_cache, name_cache, line_cache = self.given_cache, self.name_cache, self.line_cache
        name, line = self._name, self._line
        similar, close, exact = NAME_SIMILAR, NAME_CLOSE, NAME_EXACT
        dob_exact, dob_swapped, dob_one_day = DOB_EXACT * 42, DOB_SWAPPED * 42, DOB_ONE_DAY * 42
        dob_typo, dob_different = DOB_TYPO * 42, DOB_DIFFERENT * 42
        place_address, place_postcode, place_line = PLACE_ADDRESS * 2, PLACE_POSTCODE * 2, PLACE_ADDRESS_LINE * 2
        place_district, place_town, place_different = PLACE_DISTRICT * 2, PLACE_TOWN * 2, PLACE_DIFFERENT * 2
        sex_same, sex_different = SEX_SAME * 14, SEX_DIFFERENT * 14
        out = array("H")
        append = out.append
        for i, later in groups:
            ga, sa, da, xa, pa, la, ha, ta, oa = features[i]
            ga_key, sa_key = ga * width, sa * width
            for j in later:
                gb, sb, db, xb, pb, lb, hb, tb, ob = features[j]
                # Names, as names_levels().
                if ga == gb:
                    g = exact if ga else NULL
                else:
                    try:
                        g = given_cache[ga_key + gb]
                    except KeyError:
                        g = name(ga, gb, True)
                if sa == sb:
                    s = exact if sa else NULL
                else:
                    try:
                        s = name_cache[sa_key + sb]
                    except KeyError:
                        s = name(sa, sb, False)
                code = g * 2016 + s * 252
                if g <= similar or s <= similar:
                    if ga == sb:
                        gx = exact if ga else NULL
                    else:
                        try:
                            gx = name_cache[ga_key + sb]
                        except KeyError:
                            gx = name(ga, sb, False)
                    if gx >= close:
                        if sa == gb:
                            sx = exact if sa else NULL
                        else:
                            try:
                                sx = name_cache[sa_key + gb]
                            except KeyError:
                                sx = name(sa, gb, False)
                        if sx >= close and gx + sx > g + s:
                            code = gx * 2016 + sx * 252 + 1
                # Date of birth, as dob_level().
                if da and db:
                    if da == db:
                        code += dob_exact
                    else:
                        ya, ma, dda, x = dates[i]
                        yb, mb, ddb, y = dates[j]
                        if ya == yb and ma == ddb and dda == mb:
                            code += dob_swapped
                        elif da - db == 1 or db - da == 1:
                            code += dob_one_day
                        elif ya != yb and ma != mb and dda != ddb:  # three or more digits apart
                            code += dob_different
                        elif ma == mb and dda == ddb and ya - yb in (1, -1, 10, -10):
                            code += dob_typo
                        else:
                            code += _dob_digits_level(x, y) * 42
                # Sex.
                if xa and xb:
                    code += sex_same if xa == xb else sex_different
                # Address, as place_level().
                if la and lb:
                    if la == lb:
                        same_line = True
                    elif ha == hb:
                        try:
                            same_line = line_cache[la * lines_count + lb]
                        except KeyError:
                            same_line = line(la, lb)
                    else:
                        same_line = False
                else:
                    same_line = False
                if pa and pa == pb:
                    code += place_address if same_line else place_postcode
                elif same_line and not (ta and tb and ta != tb and oa and ob and oa != ob):
                    code += place_line
                elif oa and oa == ob:
                    code += place_district
                elif ta and ta == tb:
                    code += place_town
                elif (pa and pb) or (la and lb) or (ta and tb):
                    code += place_different
                append(code)
        return out


# --- Blocking ---------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _formal_of() -> dict[str, tuple[str, ...]]:
    """The formal names each familiar form belongs to."""
    formal: dict[str, list[str]] = defaultdict(list)
    for name, forms in FORMS.items():
        for form in forms:
            formal[form].append(name)
    return {form: tuple(sorted(names)) for form, names in formal.items()}


_given_code_sets: dict[str, frozenset[str]] = {}


def _given_codes(given: str, code: str) -> frozenset[str]:
    """The given name's code and those of the formal names it is a familiar form of."""
    if not given:
        return frozenset()
    known = _given_code_sets.get(given)
    if known is None:
        formal = _formal_of().get(given, ())
        known = _given_code_sets[given] = frozenset({code, *(_code(name) for name in formal)} - {""})
    return known


def blocking_keys(record: Record) -> Iterator[tuple[object, ...]]:
    """The keys a record is blocked on: two records sharing any one of them are compared."""
    born, given, surname = record.born, record.given, record.surname
    if born:
        low, high = (born.month, born.day) if born.month <= born.day else (born.day, born.month)
        yield ("dob", born.year, low, high)  # day and month in either order
        if given and surname:
            yield ("day", born.month, born.day, given[0], surname[0])  # year mistyped
        if record.given_code:
            yield ("gd", record.given_code, born.month, born.day)  # year and surname changed
        if record.surname_code:
            yield ("sd", record.surname_code, born.month, born.day)  # year and given name changed
        if record.surname_code and given:
            yield ("sy", record.surname_code, born.year, given[0])
        if record.given_code and surname:
            yield ("gy", record.given_code, born.year, surname[0])
    if record.surname_code:
        for code in _given_codes(given, record.given_code):
            surname_code = record.surname_code
            # Either order: swapped names.
            yield ("names", code, surname_code) if code <= surname_code else ("names", surname_code, code)
    if record.postcode:
        yield ("postcode", record.postcode)
    if record.address:
        yield ("line", record.address, record.town or record.outward)
    if given and len(surname) >= 3:
        yield ("gs", record.given_code, surname[:3])


def candidate_pairs(records: Sequence[Record], *, max_block: int = MAX_BLOCK) -> tuple[list[list[int]], int]:
    """For each row, the later rows (ascending) sharing a blocking key with it, and how many blocks were too big."""
    blocks: dict[tuple[object, ...], list[int]] = defaultdict(list)
    for index, record in enumerate(records):
        for key in blocking_keys(record):
            blocks[key].append(index)
    later: list[set[int]] = [set() for _ in records]
    too_big = 0
    for members in blocks.values():
        size = len(members)
        if size < 2:
            continue
        if size > max_block:
            too_big += 1
            continue
        for position in range(size - 1):  # members are in row order
            later[members[position]].update(members[position + 1 :])
    del blocks
    return [sorted(rows) for rows in later], too_big


# --- Weighing ---------------------------------------------------------------------------------

# Starting points, and what a small file falls back on: m (same person) and u (different
# people) per level, index = level; index 0 (not comparable) is unused.
DEFAULT_M: tuple[tuple[float, ...], ...] = (
    (0, 0.03, 0.02, 0.03, 0.04, 0.05, 0.05, 0.78),
    (0, 0.03, 0.0, 0.03, 0.04, 0.05, 0.0, 0.85),
    (0, 0.04, 0.04, 0.03, 0.03, 0.86),
    (0, 0.02, 0.98),
    (0, 0.25, 0.05, 0.03, 0.07, 0.05, 0.55),
)
DEFAULT_U: tuple[tuple[float, ...], ...] = (
    (0, 0.9, 0.005, 0.04, 0.01, 0.01, 0.002, 0.03),
    (0, 0.95, 0.0, 0.03, 0.01, 0.005, 0.0, 0.01),
    (0, 0.999, 0.0005, 0.0001, 0.00005, 0.00005),
    (0, 0.5, 0.5),
    (0, 0.95, 0.04, 0.005, 0.00005, 0.0001, 0.00002),
)
PRIOR_M_PAIRS = 10.0  # weight of DEFAULT_M, in pairs, against what EM finds
PRIOR_U_PAIRS = 2000.0  # weight of DEFAULT_U against the random pairs (a small file says little)
FLOOR = 1e-7


@dataclass
class Model:
    """Fitted m and u probabilities per field and level, and the prior probability of a match."""

    m: list[list[float]]
    u: list[list[float]]
    prior: float  # probability that two rows picked at random are the same person
    name_frequency: tuple[dict[str, float], dict[str, float]] = field(default_factory=lambda: ({}, {}))

    def weight(self, f: int, level: int) -> float:
        """log2 Bayes factor of one field's level (0 when not comparable)."""
        if level == NULL:
            return 0.0
        return math.log2(max(self.m[f][level], FLOOR) / max(self.u[f][level], FLOOR))

    def pattern_weight(self, pattern: Pattern) -> float:
        """Sum of the fields' weights (log2 Bayes factor of the whole pattern)."""
        return sum(self.weight(f, level) for f, level in enumerate(pattern))

    def prior_weight(self) -> float:
        return math.log2(self.prior / (1 - self.prior))


def _smoothed(counts: Sequence[float], default: Sequence[float], prior_pairs: float) -> list[float]:
    total = sum(counts[1:]) + prior_pairs
    return [0.0] + [(counts[level] + prior_pairs * default[level]) / total for level in range(1, len(counts))]


def _value_frequency(values: Iterable[str]) -> dict[str, float]:
    counted = Counter(value for value in values if value)
    total = sum(counted.values())
    return {value: count / total for value, count in counted.items()} if total else {}


def estimate_u(
    records: Sequence[Record], *, sample: int = RANDOM_PAIRS, seed: int = 0, comparer: Comparer | None = None
) -> list[list[float]]:
    """u-probabilities: level frequencies over random pairs (all pairs of a small file).

    The exact levels of names, date of birth and sex are rare among random pairs and matter
    most, so they come from the value frequencies instead (the chance two random rows share a
    value is the sum of its squared frequencies), the other levels sharing the rest.
    """
    n = len(records)
    all_pairs = n * (n - 1) / 2
    counts = [[0.0] * (top + 1) for top in LEVELS]
    if n >= 2:
        if n * (n - 1) // 2 <= sample:
            groups: Iterable[tuple[int, Iterable[int]]] = ((i, range(i + 1, n)) for i in range(n))
        else:
            groups = ((i, (j,)) for i, j in _random_pairs(n, sample, seed))
        for code, count in Counter((comparer or Comparer(records)).codes(groups)).items():
            for f, level in enumerate(pattern_of(code)[0]):
                counts[f][level] += count
    u = [_smoothed(counts[f], DEFAULT_U[f], PRIOR_U_PAIRS) for f in range(len(FIELDS))]
    exact_levels = (
        (GIVEN, NAME_EXACT, [r.given for r in records]),
        (SURNAME, NAME_EXACT, [r.surname for r in records]),
        (DOB, DOB_EXACT, [r.born_digits for r in records]),
        (SEX, SEX_SAME, [r.sex for r in records]),
    )
    for f, level, values in exact_levels:
        frequency = _value_frequency(values)
        if len(frequency) < 2:
            continue
        exact = sum(p * p for p in frequency.values())
        exact = (exact * all_pairs + DEFAULT_U[f][level] * PRIOR_U_PAIRS) / (all_pairs + PRIOR_U_PAIRS)
        rest = sum(u[f][1:]) - u[f][level]
        scale = (1 - exact) / rest if rest else 0.0
        u[f] = [0.0] + [exact if lvl == level else u[f][lvl] * scale for lvl in range(1, len(u[f]))]
    return u


def _random_pairs(n: int, sample: int, seed: int) -> list[tuple[int, int]]:
    """`sample` pairs of distinct rows drawn with a seeded generator.

    The same pairs as `random.Random(seed).sample(range(n), 2)` drawn `sample` times, which
    this spells out with getrandbits (CPython's algorithm for a population larger than 21),
    for speed.
    """
    getrandbits = random.Random(seed).getrandbits  # noqa: S311 - reproducible sampling, not a secret
    bits = n.bit_length()
    pairs = []
    for _ in range(sample):
        i = getrandbits(bits)
        while i >= n:
            i = getrandbits(bits)
        j = getrandbits(bits)
        while j >= n or j == i:
            j = getrandbits(bits)
        pairs.append((i, j))
    return pairs


def _em(
    patterns: Counter[Pattern],
    fields: Sequence[int],
    m: list[list[float]],
    u: list[list[float]],
    *,
    iterations: int = EM_ITERATIONS,
) -> list[list[float]]:
    """m-probabilities of `fields` by expectation-maximisation over pattern counts, u fixed."""
    m = [list(levels) for levels in m]
    items = list(patterns.items())
    if not items:
        return m
    prior = 0.1
    for _ in range(iterations):
        expected = [[0.0] * (top + 1) for top in LEVELS]
        matched = 0.0
        total = 0.0
        for pattern, count in items:
            log_odds = math.log(prior / (1 - prior))
            for f in fields:
                level = pattern[f]
                if level:
                    log_odds += math.log(max(m[f][level], FLOOR) / max(u[f][level], FLOOR))
            p = 1 / (1 + math.exp(-min(max(log_odds, -700.0), 700.0)))
            matched += p * count
            total += count
            for f in fields:
                expected[f][pattern[f]] += p * count
        prior = min(max(matched / total, 1e-6), 1 - 1e-6)
        for f in fields:
            m[f] = _smoothed(expected[f], DEFAULT_M[f], PRIOR_M_PAIRS)
    return m


# Which pairs teach which weights: pairs blocked on (= agreeing exactly on) the first fields
# say nothing about how those fields agree, so only the other fields are estimated from them.
TRAINING = (
    ((DOB,), (GIVEN, SURNAME, SEX, PLACE)),
    ((GIVEN, SURNAME), (DOB, PLACE)),
)
_EXACT = {GIVEN: NAME_EXACT, SURNAME: NAME_EXACT, DOB: DOB_EXACT, SEX: SEX_SAME, PLACE: PLACE_ADDRESS}


def estimate_m(patterns: Counter[Pattern], u: list[list[float]]) -> list[list[float]]:
    """m-probabilities by EM, each field learnt from pairs blocked on other fields (averaged)."""
    m = [list(levels) for levels in DEFAULT_M]
    learnt: dict[int, list[list[float]]] = defaultdict(list)
    for blocked, fields in TRAINING:
        subset: Counter[Pattern] = Counter(
            {p: c for p, c in patterns.items() if all(p[f] == _EXACT[f] for f in blocked)}
        )
        fitted = _em(subset, fields, m, u)
        for f in fields:
            learnt[f].append(fitted[f])
    for f, estimates in learnt.items():
        m[f] = [sum(values) / len(values) for values in zip(*estimates, strict=True)]
    return m


def estimate_prior(patterns: Counter[Pattern], m: list[list[float]], u: list[list[float]], n: int) -> float:
    """Probability that two random rows match: the expected matches among candidates over all pairs."""
    all_pairs = max(n * (n - 1) / 2, 1.0)
    # A small file is pulled towards a typical legacy file: duplicate pairs about a fifth of the rows.
    typical = min(0.2 / max(n, 1), 0.5)
    probe = Model(m=m, u=u, prior=0.5)
    weights = [(probe.pattern_weight(p), c) for p, c in patterns.items()]
    prior = typical
    for _ in range(50):
        log_prior = math.log2(prior / (1 - prior))
        expected = sum(c / (1 + 2 ** min(-(w + log_prior), 1000.0)) for w, c in weights)
        updated = (expected + typical * PRIOR_U_PAIRS) / (all_pairs + PRIOR_U_PAIRS)
        updated = min(max(updated, 1e-12), 0.5)
        if abs(updated - prior) <= prior * 1e-6:
            return updated
        prior = updated
    return prior


def fit(records: Sequence[Record], patterns: Counter[Pattern], comparer: Comparer | None = None) -> Model:
    """Estimate the model from the file itself: u from random pairs, m by EM, then the prior."""
    u = estimate_u(records, comparer=comparer)
    m = estimate_m(patterns, u)
    prior = estimate_prior(patterns, m, u, len(records))
    frequencies = (_value_frequency(r.given for r in records), _value_frequency(r.surname for r in records))
    return Model(m=m, u=u, prior=prior, name_frequency=frequencies)


# --- Scoring and explaining -------------------------------------------------------------------

TF_LIMIT = 4.0  # log2: how far a name's rarity may move an exact-name weight either way


@dataclass(frozen=True)
class Pair:
    a: Record
    b: Record
    score: float
    reason: str


def _frequency_adjustment(model: Model, f: int, value: str) -> float:
    """log2 correction of an exact-name weight: a rare name says more than a common one."""
    frequency = model.name_frequency[f].get(value)
    if not frequency:
        return 0.0
    return max(-TF_LIMIT, min(TF_LIMIT, math.log2(model.u[f][NAME_EXACT] / frequency)))


def score(model: Model, a: Record, b: Record, pattern: Pattern, pattern_weight: float | None = None) -> float:
    """Match probability of a compared pair (`pattern_weight` may be given, precomputed)."""
    if pattern_weight is None:
        pattern_weight = model.pattern_weight(pattern)
    weight = model.prior_weight() + pattern_weight
    swapped = names_levels(a, b)[2]
    if pattern[GIVEN] == NAME_EXACT:
        weight += _frequency_adjustment(model, GIVEN, b.surname if swapped else a.given)
    if pattern[SURNAME] == NAME_EXACT:
        weight += _frequency_adjustment(model, SURNAME, b.given if swapped else a.surname)
    return 1 / (1 + 2 ** min(-weight, 1000.0))


_NAME_WORDS = {
    NAME_EXACT: "same {label}",
    NAME_PHONETIC: "{label} matches phonetically",
    NAME_CLOSE: "{label} spelt almost the same",
    NAME_SIMILAR: "{label} spelt similarly",
    NAME_INITIAL: "{label} matches an initial",
    NAME_DIFFERENT: "different {label}",
}
_DOB_WORDS = {
    DOB_EXACT: "same date of birth",
    DOB_SWAPPED: "day and month of birth swapped",
    DOB_ONE_DAY: "date of birth one day apart",
    DOB_TYPO: "date of birth differs by one digit or two swapped digits",
    DOB_DIFFERENT: "different date of birth",
}
_SEX_WORDS = {SEX_SAME: "same sex", SEX_DIFFERENT: "different sex recorded"}
_PLACE_WORDS = {
    PLACE_ADDRESS: "same address",
    PLACE_POSTCODE: "same postcode",
    PLACE_ADDRESS_LINE: "same first address line",
    PLACE_DISTRICT: "same postcode district",
    PLACE_TOWN: "same town",
    PLACE_DIFFERENT: "different address",
}


def _nickname(a: str, b: str) -> str:
    first, second = a.capitalize(), b.capitalize()
    if a in FORMS.get(b, ()):
        return f"first name {first} is a known form of {second}"
    if b in FORMS.get(a, ()):
        return f"first name {second} is a known form of {first}"
    return f"first names {first} and {second} are forms of the same name"


def explain(a: Record, b: Record, pattern: Pattern) -> str:
    """The pair's agreements and disagreements in words, strongest evidence first."""
    g, s, dob, sex, place = pattern
    swapped = names_levels(a, b)[2]
    reasons = []
    if swapped:
        reasons.append("first name and surname swapped")
    if dob:
        reasons.append(_DOB_WORDS[dob])
    if swapped:
        # Name levels then compare each name with the other record's opposite one.
        reasons += [
            _NAME_WORDS[level].format(label=label)
            for level, label in ((s, "swapped surname"), (g, "swapped first name"))
            if level != NAME_EXACT
        ]
    else:
        if s:
            reasons.append(_NAME_WORDS[s].format(label="surname"))
        if g == NAME_NICKNAME:
            reasons.append(_nickname(a.given, b.given))
        elif g:
            reasons.append(_NAME_WORDS[g].format(label="first name"))
    if place:
        reasons.append(_PLACE_WORDS[place])
    if sex:
        reasons.append(_SEX_WORDS[sex])
    missing = [
        label
        for label, present in (
            ("date of birth", dob),
            ("surname", s),
            ("first name", g),
            ("address", place),
        )
        if not present
    ]
    if missing:
        reasons.append("no " + " or ".join(missing) + " to compare")
    return "; ".join(reasons)


@dataclass
class Result:
    pairs: list[Pair]
    compared: int
    skipped_blocks: int
    model: Model


def dedupe(
    records: Sequence[Record],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    progress: Callable[[str], None] | None = None,
) -> Result:
    """Pairs of records that are probably the same person, most probable first.

    Guarantees: every pair has a score (its match probability under a model fitted to
    `records`) in [0, 1] at or above `threshold`, and a reason in words; each pair appears
    once, the earlier row first; ties are ordered by the rows' positions; same input, same output.
    """
    with _without_cycle_collector():
        return _dedupe(records, threshold=threshold, progress=progress)


def _dedupe(records: Sequence[Record], *, threshold: float, progress: Callable[[str], None] | None) -> Result:
    say = progress or (lambda _message: None)
    later, skipped_blocks = candidate_pairs(records)
    compared = sum(map(len, later))
    say(f"{compared:,} candidate pairs to compare")
    comparer = Comparer(records)
    codes = comparer.codes(enumerate(later))
    # Pattern counts in the order each pattern first appears (the order EM sums them in).
    patterns: Counter[Pattern] = Counter()
    for code, count in Counter(codes).items():
        patterns[pattern_of(code)[0]] += count
    model = fit(records, patterns, comparer)
    say("model fitted")
    # A pattern whose best possible name-frequency bonus cannot lift it to the threshold is skipped whole.
    bonus = 2 * TF_LIMIT
    cut = math.log2(threshold / (1 - threshold)) if 0 < threshold < 1 else (-math.inf if threshold <= 0 else math.inf)
    prior_weight = model.prior_weight()
    weights: dict[int, float] = {}
    for code in set(codes):
        weight = model.pattern_weight(pattern_of(code)[0])
        if prior_weight + weight + bonus >= cut:
            weights[code] = weight
    names = comparer.names
    adjustments: tuple[dict[int, float], dict[int, float]] = ({}, {})

    def adjustment(f: int, name: int) -> float:
        known = adjustments[f - GIVEN].get(name)
        if known is None:
            known = adjustments[f - GIVEN][name] = _frequency_adjustment(model, f, names[name])
        return known

    features = comparer.features
    found: list[tuple[float, int, int, int]] = []
    hopeful = bytearray(_RADIX[0] * 8)
    for code in weights:
        hopeful[code] = 1
    lefts, rights = array("i"), array("i")
    for i, rows in enumerate(later):
        lefts.extend(repeat(i, len(rows)))
        rights.extend(rows)
    for i, j, code in compress(zip(lefts, rights, codes, strict=True), map(hopeful.__getitem__, codes)):
        pattern_weight = weights[code]
        # As score(): the exact-name weights corrected by the name's frequency.
        weight = prior_weight + pattern_weight
        if code // 2016 == NAME_EXACT:
            weight += adjustment(GIVEN, features[j][SURNAME] if code & 1 else features[i][GIVEN])
        if code // 252 % 8 == NAME_EXACT:
            weight += adjustment(SURNAME, features[j][GIVEN] if code & 1 else features[i][SURNAME])
        probability = 1 / (1 + 2 ** min(-weight, 1000.0))
        if probability >= threshold:
            found.append((-probability, i, j, code))
    found.sort()
    pairs = [
        Pair(a=records[i], b=records[j], score=-minus, reason=explain(records[i], records[j], pattern_of(code)[0]))
        for minus, i, j, code in found
    ]
    return Result(pairs=pairs, compared=compared, skipped_blocks=skipped_blocks, model=model)


def write_pairs(pairs: Iterable[Pair], handle: io.TextIOBase | io.TextIOWrapper) -> int:
    """Write `id_a,id_b,score,reason` rows, formula-safe, and return how many."""
    from masip.core.text import csv_safe

    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(("id_a", "id_b", "score", "reason"))
    written = 0
    for pair in pairs:
        writer.writerow((csv_safe(pair.a.id), csv_safe(pair.b.id), f"{pair.score:.4f}", csv_safe(pair.reason)))
        written += 1
    return written


def dedupe_file(input_path: Path, *, threshold: float = DEFAULT_THRESHOLD) -> tuple[Result, list[BadRow]]:
    """Read, check and de-duplicate a people CSV file (DedupeInputError if it cannot be read)."""
    text = decode_people_file(input_path.read_bytes())
    records, bad = read_people(text)
    return dedupe(records, threshold=threshold), bad
