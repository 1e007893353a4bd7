"""Identity resolution: which people already recorded in a unit may be the person a referral names.

Blocking first, ranking second (see /work/shared/PERFORMANCE.md). One query, a UNION ALL of
bounded tiers, each an indexed look-up whose result stays small however large the table grows:

1. exact identifier: the blind index of the PNC id or NHS number (score 1.0);
2. phonetic family and given name codes, the given name widened by its known familiar forms
   (at most `TIER_ROWS` rows, `limit` with a date of birth: a very common pair must not fetch
   thousands);
3. date of birth in the "near" set (same, a day either side, day and month swapped, year one
   or ten out), kept only when a name is similar: trigram similarity of the family or the given
   name at least `NAME_FLOOR`, or one of them at most `NAME_EDITS` edits away, or the given name
   a known form of the probe's. PostgreSQL tests it in the query (pg_trgm, fuzzystrmatch),
   SQLite in Python with the same measures;
4. aliases, nicknames and previous names with the same phonetic codes.

Only when those find too little (fewer than `limit` candidates and none scoring `LIKELY` or
more), a second query reaches further: the phonetic family code with the same first letter of
the given name, the phonetic given code with the same first two letters of the family name
(typos in one name) and, by name alone on PostgreSQL, both names trigram-similar (one GIN index
on both names; typos in both).

The rows carry only what ranking needs (never the encrypted columns) and are ranked in Python
with rapidfuzz (Jaro-Winkler) into a 0..1 score; each candidate carries plain-English reasons.
Matching reads `Person.unscoped`: it runs for a screener who may not be on any case yet, so the
caller checks the capability.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db import connection
from django.db.models import Q
from django.utils import timezone
from rapidfuzz.distance import JaroWinkler, Levenshtein

from masip.accounts.models import Membership, Role, Unit, User
from masip.audit.services import audit_record
from masip.people.blind_index import blind_index
from masip.people.keys import normalise_name, phonetic, trigram_similarity
from masip.people.models import AliasKind, Gender, Person, PersonAlias
from masip.people.nicknames import FORMS, forms_of

# A near-date-of-birth row counts when one of its names is similar to the probe's: trigram
# similarity at least NAME_FLOOR, or at most NAME_EDITS keystrokes apart (Levenshtein: short
# names with a typo share few trigrams), or the given name a known form of the probe's.
NAME_FLOOR = 0.3
NAME_EDITS = 2
TIER_ROWS = 500  # bound on each name tier (phonetic pair, aliases, each fallback branch)
# With a date of birth, the name tiers' rows born on other days rank below every near-date
# match and tie with one another: `limit` of them (one page) is enough.
LIKELY = 0.75  # a candidate scoring this much makes the fallback tier unnecessary
SHOWN = 0.3  # candidates scoring less are not proposed

# What ranking reads from each person, in this order, and what a candidate shows (the names as
# written, the flags); the tiers add which tier found the row and, for an alias, its kind and
# names. Nothing encrypted: the Person objects returned are built from these rows.
_COLUMNS = (
    "id",
    "given_name",
    "family_name",
    "flags",
    "match_given",
    "match_family",
    "phonetic_given",
    "phonetic_family",
    "date_of_birth",
    "approximate_age",
    "approximate_age_given_on",
    "gender",
)
_TIER_PNC = 1
_TIER_NHS = 2
_TIER_PHONETIC = 3
_TIER_DATE = 4
_TIER_ALIAS = 5
_TIER_FALLBACK = 6


@dataclass(frozen=True)
class PersonDetails:
    """What a referral says about one person; any field may be blank."""

    given_name: str = ""
    family_name: str = ""
    date_of_birth: date | None = None
    approximate_age: int | None = None
    gender: str = ""
    pnc_id: str = ""
    nhs_number: str = ""


@dataclass(frozen=True)
class Candidate:
    person: Person
    score: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class UnitPointer:
    unit_name: str
    manager_emails: tuple[str, ...]


@dataclass
class _Probe:
    details: PersonDetails
    given: str
    family: str
    phon_given: str
    phon_family: str
    given_forms: frozenset[str]
    phon_given_forms: frozenset[str]
    pnc_index: str
    nhs_index: str

    @classmethod
    def of(cls, details: PersonDetails) -> _Probe:
        given = normalise_name(details.given_name)
        forms = forms_of(given) if given else frozenset()
        phon_given = phonetic(given)
        return cls(
            details=details,
            given=given,
            family=normalise_name(details.family_name),
            phon_given=phon_given,
            phon_family=phonetic(details.family_name),
            given_forms=forms,
            phon_given_forms=frozenset({phon_given, *(phonetic(f) for f in forms)} - {""}),
            pnc_index=blind_index("pnc_id", details.pnc_id),
            nhs_index=blind_index("nhs_number", details.nhs_number),
        )


@dataclass
class _Hit:
    row: dict[str, Any]
    identifiers: set[str] = field(default_factory=set)
    alias_kinds: set[str] = field(default_factory=set)
    alias_names: list[tuple[str, str]] = field(default_factory=list)


def near_dates(day: date) -> set[date]:
    """The same date, a day either side, day and month swapped, and the year one or ten out."""
    dates = {day, day - timedelta(days=1), day + timedelta(days=1)}
    candidates = [(day.year, day.day, day.month)]  # swapped
    candidates += [(day.year + delta, day.month, day.day) for delta in (-10, -1, 1, 10)]
    for year, month, dom in candidates:
        try:
            dates.add(date(year, month, dom))
        except ValueError:
            continue  # 31/12 has no swap; 29 February has no neighbour years
    return dates


def _date_relation(probe: date, other: date) -> tuple[float, str]:
    if probe == other:
        return 1.0, "same date of birth"
    if abs((probe - other).days) == 1:
        return 0.8, "date of birth one day apart"
    if (probe.year, probe.month, probe.day) == (other.year, other.day, other.month):
        return 0.8, "day and month of birth swapped"
    if (probe.month, probe.day) == (other.month, other.day) and abs(probe.year - other.year) in (1, 10):
        years = abs(probe.year - other.year)
        return 0.7, f"year of birth {years} out" if years == 1 else "year of birth ten out (a digit mistyped?)"
    return 0.0, "different date of birth"


def _age_on(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _name_part(probe: str, stored: str, probe_phon: str, stored_phon: str | None, label: str) -> tuple[float, str]:
    if not probe or not stored:
        return 0.0, ""
    if probe == stored:
        return 1.0, f"{label} matches exactly"
    if probe_phon and probe_phon == (phonetic(stored) if stored_phon is None else stored_phon):
        return 0.92, f"{label} sounds the same"
    similarity = JaroWinkler.normalized_similarity(probe, stored)
    if similarity >= 0.85:
        return similarity, f"{label} spelt similarly"
    return similarity, ""


def _nickname_reason(probe: str, stored: str) -> str:
    a, b = probe.capitalize(), stored.capitalize()
    if probe in FORMS.get(stored, ()):
        return f"{a} is a known form of {b}"
    if stored in FORMS.get(probe, ()):
        return f"{b} is a known form of {a}"
    return f"{a} and {b} can be forms of the same name"


def _given_part(probe: _Probe, stored: str, stored_phon: str | None) -> tuple[float, str]:
    score, reason = _name_part(probe.given, stored, probe.phon_given, stored_phon, "first name")
    if score < 0.95 and stored in probe.given_forms:
        return 0.95, _nickname_reason(probe.given, stored)
    return score, reason


def _score(probe: _Probe, hit: _Hit, today: date) -> tuple[float, list[str]]:
    row = hit.row
    reasons: list[str] = []
    # Found by the identifier tiers: the blind index is equal.
    identifier = bool(hit.identifiers)
    reasons += sorted(hit.identifiers, key=("same PNC id", "same NHS number").index)

    family, family_reason = _name_part(
        probe.family, row["match_family"], probe.phon_family, row["phonetic_family"], "surname"
    )
    given, given_reason = _given_part(probe, row["match_given"], row["phonetic_given"])
    for alias_given, alias_family in hit.alias_names:
        a_family, a_family_reason = _name_part(
            probe.family, alias_family or row["match_family"], probe.phon_family, None, "surname"
        )
        a_given, a_given_reason = _given_part(probe, alias_given or row["match_given"], None)
        if a_family + a_given > family + given:
            family, family_reason, given, given_reason = a_family, a_family_reason, a_given, a_given_reason
    if hit.alias_kinds:
        labels = {
            AliasKind.ALIAS: "an alias",
            AliasKind.NICKNAME: "a nickname",
            AliasKind.PREVIOUS_NAME: "a previous name",
        }
        reasons.append("matches " + " and ".join(labels[AliasKind(k)] for k in sorted(hit.alias_kinds)) + " on record")
    reasons += [r for r in (family_reason, given_reason) if r]
    # One name alone says less than both.
    name = 0.6 * family + 0.4 * given if probe.family and probe.given else 0.85 * (family or given)

    details = probe.details
    stored_dob: date | None = row["date_of_birth"]
    if details.date_of_birth and stored_dob:
        dob_score, dob_reason = _date_relation(details.date_of_birth, stored_dob)
        reasons.append(dob_reason)
        score = 0.55 * name + 0.45 * dob_score
    else:
        # Without both dates the names cannot settle it: cap below a date-confirmed match.
        score = 0.8 * name
        age = _stored_age(row, today)
        probe_age = details.approximate_age
        if probe_age is None and details.date_of_birth:
            probe_age = _age_on(details.date_of_birth, today)
        if age is not None and probe_age is not None:
            if abs(age - probe_age) <= 3:
                score += 0.05
                reasons.append("similar age")
            else:
                score -= 0.15
                reasons.append("different age")
    known = {Gender.FEMALE, Gender.MALE, Gender.NON_BINARY, Gender.OTHER}
    if details.gender in known and row["gender"] in known and details.gender != row["gender"]:
        score -= 0.1
        reasons.append("different gender recorded")
    if identifier:
        return 1.0, reasons
    return max(0.0, min(score, 0.99)), reasons


def _stored_age(row: dict[str, Any], today: date) -> int | None:
    if row["date_of_birth"]:
        return _age_on(row["date_of_birth"], today)
    if row["approximate_age"] is not None:
        given_on = row["approximate_age_given_on"] or today
        return row["approximate_age"] + (today - given_on).days // 365
    return None


def _prefix_range(prefix: str) -> tuple[str, str | None]:
    """Bounds of the normalised names (lower-case a to z only) that start with `prefix`."""
    stem = prefix.rstrip("z")
    if not stem:
        return prefix, None
    return prefix, stem[:-1] + chr(ord(stem[-1]) + 1)


class _Query:
    """A UNION ALL of bounded SELECTs over the person table, each tagged with its tier."""

    def __init__(self, unit: Unit) -> None:
        self.unit = unit
        self.parts: list[str] = []
        self.params: list[Any] = []
        quote = connection.ops.quote_name
        self.person = quote(Person._meta.db_table)
        self.alias = quote(PersonAlias._meta.db_table)
        column = {f.attname: f.column for f in Person._meta.concrete_fields}
        self.columns = ", ".join(f"p.{quote(column[name])}" for name in _COLUMNS)

    def add(
        self,
        tier: int,
        where: str,
        params: Iterable[Any],
        *,
        alias: bool = False,
        order: str = "",
        order_params: Iterable[Any] = (),
        rows: int = TIER_ROWS,
    ) -> None:
        extra = "a.kind, a.match_given, a.match_family" if alias else "NULL, NULL, NULL"
        source = f"{self.alias} a JOIN {self.person} p ON p.id = a.person_id" if alias else f"{self.person} p"
        order_by = f" ORDER BY {order}" if order else ""
        # The inner SELECT keeps each tier's LIMIT (SQLite refuses a LIMIT on a member of a UNION).
        self.parts.append(
            f"SELECT * FROM (SELECT {self.columns}, {tier} AS tier, {extra} FROM {source} "  # noqa: S608
            f"WHERE p.unit_id = %s AND ({where}){order_by} LIMIT {int(rows)}) AS t{len(self.parts)}"
        )
        self.params += [self.unit.pk, *params, *order_params]

    def sql(self) -> tuple[str, list[Any]]:
        return " UNION ALL ".join(self.parts), self.params


def _in(values: Iterable[Any]) -> tuple[str, list[Any]]:
    items = sorted(values)
    return "(" + ", ".join(["%s"] * len(items)) + ")", items


def _bounded_tiers(unit: Unit, probe: _Probe, limit: int) -> _Query:
    query = _Query(unit)
    if probe.pnc_index:
        query.add(_TIER_PNC, "p.pnc_id_index = %s", [probe.pnc_index])
    if probe.nhs_index:
        query.add(_TIER_NHS, "p.nhs_number_index = %s", [probe.nhs_index])
    if probe.phon_family and probe.phon_given_forms:
        # Bounded: a very common pair (John Smith) must not fetch thousands of rows; with a date
        # of birth, the near-date tier below still finds the namesake born on the right day.
        forms_sql, forms = _in(probe.phon_given_forms)
        query.add(
            _TIER_PHONETIC,
            f"p.phonetic_family = %s AND p.phonetic_given IN {forms_sql}",
            [probe.phon_family, *forms],
            rows=limit if probe.details.date_of_birth else TIER_ROWS,
        )
        query.add(
            _TIER_ALIAS,
            f"(a.phonetic_family = %s AND a.phonetic_given IN {forms_sql})"
            f" OR (a.phonetic_family = %s AND a.phonetic_given = '' AND p.phonetic_given IN {forms_sql})"
            f" OR (a.phonetic_family = '' AND a.phonetic_given IN {forms_sql} AND p.phonetic_family = %s)",
            [probe.phon_family, *forms, probe.phon_family, *forms, *forms, probe.phon_family],
            alias=True,
        )
    if probe.details.date_of_birth and (probe.given or probe.family):
        dates_sql, dates = _in(near_dates(probe.details.date_of_birth))
        where, params = f"p.date_of_birth IN {dates_sql}", dates
        if connection.vendor == "postgresql":
            # The name floor in the query: similarity(), never `%`, which would make the planner
            # AND a whole-index trigram scan with the few rows of the near dates.
            names, name_params = [], []
            for column, value in (("match_family", probe.family), ("match_given", probe.given)):
                if value:
                    names.append(f"similarity(p.{column}, %s) >= %s")
                    names.append(f"levenshtein_less_equal(p.{column}, %s, %s) <= %s")
                    name_params += [value, NAME_FLOOR, value, NAME_EDITS, NAME_EDITS]
            if probe.given_forms:
                forms_sql, forms = _in(probe.given_forms)
                names.append(f"p.match_given IN {forms_sql}")
                name_params += forms
            where += " AND (" + " OR ".join(names) + ")"
            params += name_params
        query.add(_TIER_DATE, where, params)
    return query


def _fallback_tier(unit: Unit, probe: _Probe, limit: int) -> _Query:
    """Wider name searches, for when the bounded tiers find too little: a typo in one name (the
    other's phonetic code and first letters), on both databases; by name alone, on PostgreSQL,
    typos in both (both names trigram-similar). With a date of birth the near-date tier has
    already taken every row where either name is similar, so what is left are people born on
    other days, who tie below the near-date matches: the bound is smaller and no trigram search."""
    query = _Query(unit)
    dated = probe.details.date_of_birth is not None
    rows = limit if dated else TIER_ROWS
    if probe.phon_family and probe.given:
        low, high = _prefix_range(probe.given[0])
        query.add(
            _TIER_FALLBACK,
            "p.phonetic_family = %s AND p.match_given >= %s" + (" AND p.match_given < %s" if high else ""),
            [probe.phon_family, low, *([high] if high else [])],
            rows=rows,
        )
    elif probe.phon_family:
        query.add(_TIER_FALLBACK, "p.phonetic_family = %s", [probe.phon_family], rows=rows)
    if probe.phon_given and probe.family:
        low, high = _prefix_range(probe.family[:2])
        query.add(
            _TIER_FALLBACK,
            "p.phonetic_given = %s AND p.match_family >= %s" + (" AND p.match_family < %s" if high else ""),
            [probe.phon_given, low, *([high] if high else [])],
            rows=rows,
        )
    if connection.vendor == "postgresql" and not dated and probe.given and probe.family:
        # Both names similar at pg_trgm's threshold (0.3), from the GIN index on both names; the
        # most similar first, so that the bound keeps the best.
        query.add(
            _TIER_FALLBACK,
            "p.match_family %% %s AND p.match_given %% %s",
            [probe.family, probe.given],
            order="similarity(p.match_family, %s) + similarity(p.match_given, %s) DESC",
            order_params=[probe.family, probe.given],
        )
    return query


def blocking_sql(*, unit: Unit, details: PersonDetails, limit: int = 20) -> tuple[str, list[Any]]:
    """The one query of the bounded tiers for `details` (for EXPLAIN in the benchmark)."""
    return _bounded_tiers(unit, _Probe.of(details), limit).sql()


def fallback_sql(*, unit: Unit, details: PersonDetails, limit: int = 20) -> tuple[str, list[Any]]:
    """The fallback tier's query for `details` (for EXPLAIN in the benchmark)."""
    return _fallback_tier(unit, _Probe.of(details), limit).sql()


def _date_floor(probe: _Probe, row: dict[str, Any]) -> bool:
    """The near-date-of-birth tier's name floor, as the PostgreSQL query tests it."""
    return row["match_given"] in probe.given_forms or any(
        value
        and (
            trigram_similarity(value, stored) >= NAME_FLOOR
            or Levenshtein.distance(value, stored, score_cutoff=NAME_EDITS) <= NAME_EDITS
        )
        for value, stored in ((probe.family, row["match_family"]), (probe.given, row["match_given"]))
    )


def _fetch(query: _Query, probe: _Probe, hits: dict[uuid.UUID, _Hit]) -> None:
    if not query.parts:
        return
    sql, params = query.sql()
    sqlite = connection.vendor == "sqlite"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    width = len(_COLUMNS)
    for values in rows:
        row = dict(zip(_COLUMNS, values[:width], strict=True))
        tier, kind, alias_given, alias_family = values[width:]
        if sqlite:  # the raw cursor may return SQLite's text forms
            if tier == _TIER_DATE and not _date_floor(probe, row):
                continue
            row["id"] = uuid.UUID(row["id"])
            for name in ("date_of_birth", "approximate_age_given_on"):
                if isinstance(row[name], str):
                    row[name] = date.fromisoformat(row[name])
        hit = hits.get(row["id"])
        if hit is None:
            hit = hits[row["id"]] = _Hit(row)
        if tier == _TIER_PNC:
            hit.identifiers.add("same PNC id")
        elif tier == _TIER_NHS:
            hit.identifiers.add("same NHS number")
        elif tier == _TIER_ALIAS:
            hit.alias_kinds.add(kind)
            hit.alias_names.append((alias_given, alias_family))


def _ranked(probe: _Probe, hits: dict[uuid.UUID, _Hit], today: date) -> list[tuple[float, uuid.UUID, tuple[str, ...]]]:
    scored: list[tuple[float, uuid.UUID, tuple[str, ...]]] = []
    for person_id, hit in hits.items():
        score, reasons = _score(probe, hit, today)
        if score >= SHOWN:
            scored.append((round(score, 4), person_id, tuple(reasons)))
    scored.sort(key=lambda item: (-item[0], str(item[1])))
    return scored


def person_candidates(*, unit: Unit, details: PersonDetails, limit: int = 20) -> list[Candidate]:
    """People recorded in `unit` who may be the person `details` describe, best first.

    Guarantees: only persons of `unit`; at most `limit`; an identifier match scores 1.0 and
    nothing else does; every candidate says in plain English why it was proposed. Reads only
    (no audit): the caller records what the user then sees or decides. One query, two when the
    bounded tiers find too little; the candidates' Person objects carry the names, dates, gender
    and flags, and read any other field (encrypted ones included) only when it is used.
    """
    probe = _Probe.of(details)
    if not (probe.given or probe.family or probe.pnc_index or probe.nhs_index):
        return []
    today = timezone.localdate()
    hits: dict[uuid.UUID, _Hit] = {}
    _fetch(_bounded_tiers(unit, probe, limit), probe, hits)
    scored = _ranked(probe, hits, today)
    if len(scored) < limit and not (scored and scored[0][0] >= LIKELY):
        _fetch(_fallback_tier(unit, probe, limit), probe, hits)
        scored = _ranked(probe, hits, today)
    return [
        Candidate(person=_person(hits[person_id].row, unit), score=score, reasons=reasons)
        for score, person_id, reasons in scored[:limit]
    ]


def _person(row: dict[str, Any], unit: Unit) -> Person:
    """A Person from a blocking row, without another query: the fields read are set, the rest
    (encrypted contact details and identifiers, bookkeeping) are deferred and load on access."""
    values = {**row, "unit_id": unit.pk}
    if isinstance(row["flags"], str):  # JSON, as the database returns it to a plain cursor
        values["flags"] = json.loads(row["flags"])
    names = [f.attname for f in Person._meta.concrete_fields if f.attname in values]
    return Person.from_db(connection.alias, names, [values[name] for name in names])


def other_unit_pointers(*, unit: Unit, details: PersonDetails, actor: User, request: Any = None) -> list[UnitPointer]:
    """Other units that hold a record of (probably) the same person, as pointers only.

    A unit is named when one of its persons has the same PNC id or NHS number, or the same
    date of birth and phonetically the same family and given names. Guarantees: nothing about
    the person is returned (only the unit's name and its managers' emails); every check is
    audited as a view with the units pointed to, even when there are none.
    """
    probe = _Probe.of(details)
    q = Q(pk__in=[])
    if probe.pnc_index:
        q |= Q(pnc_id_index=probe.pnc_index)
    if probe.nhs_index:
        q |= Q(nhs_number_index=probe.nhs_index)
    if details.date_of_birth and probe.phon_family and probe.phon_given:
        q |= Q(date_of_birth=details.date_of_birth, phonetic_family=probe.phon_family, phonetic_given=probe.phon_given)
    unit_ids = set(Person.unscoped.filter(q).exclude(unit=unit).order_by().values_list("unit_id", flat=True).distinct())
    units = list(Unit.objects.filter(pk__in=unit_ids).order_by("name"))
    managers: dict[int, list[str]] = {}
    for unit_id, email in (
        Membership.objects.active()
        .filter(unit_id__in=unit_ids, role=Role.UNIT_MANAGER)
        .order_by("user__email")
        .values_list("unit_id", "user__email")
    ):
        managers.setdefault(unit_id, []).append(email)
    audit_record(
        action="view",
        actor=actor,
        request=request,
        unit=unit,
        object_type="people.person",
        detail={"pointer_units": [str(u.pk) for u in units], "checked": "other units"},
    )
    return [UnitPointer(unit_name=u.name, manager_emails=tuple(managers.get(u.pk, ()))) for u in units]
