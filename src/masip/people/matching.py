"""Identity resolution: which people already recorded in a unit may be the person a referral names.

Blocking first, ranking second (see /work/shared/PERFORMANCE.md). Each tier is one indexed
query whose result stays small however large the table grows:

1. exact identifier: the blind index of the PNC id or NHS number (score 1.0);
2. phonetic family and given name codes, the given name widened by its known familiar forms;
3. date of birth in the "near" set (same, a day either side, day and month swapped, year one
   or ten out), kept only above a name-similarity floor;
4. aliases, nicknames and previous names with the same phonetic codes;
5. only when those find fewer than `limit`: the phonetic family code with the same first
   letter of the given name, and the phonetic given code with the same first letters of the
   family name (typos in one name).

The few hundred rows found are ranked in Python with rapidfuzz (Jaro-Winkler) into a 0..1
score, and each candidate carries plain-English reasons. Matching reads `Person.unscoped`:
it runs for a screener who may not be on any case yet, so the caller checks the capability.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone
from rapidfuzz.distance import JaroWinkler

from masip.accounts.models import Membership, Role, Unit, User
from masip.audit.services import audit_record
from masip.people.blind_index import blind_index
from masip.people.keys import normalise_name, phonetic
from masip.people.models import AliasKind, Gender, Person, PersonAlias
from masip.people.nicknames import FORMS, forms_of

NAME_FLOOR = 0.75  # Jaro-Winkler of both names together for a near-date-of-birth row to count
FALLBACK_ROWS = 500  # bound on each name-only fallback query
_ROW_FIELDS = (
    "id",
    "given_name",
    "family_name",
    "match_given",
    "match_family",
    "phonetic_given",
    "phonetic_family",
    "date_of_birth",
    "approximate_age",
    "approximate_age_given_on",
    "gender",
    "pnc_id_index",
    "nhs_number_index",
)


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
    identifier = False
    if probe.pnc_index and row["pnc_id_index"] == probe.pnc_index:
        reasons.append("same PNC id")
        identifier = True
    if probe.nhs_index and row["nhs_number_index"] == probe.nhs_index:
        reasons.append("same NHS number")
        identifier = True

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


def _rows(queryset: Any) -> Iterable[dict[str, Any]]:
    return queryset.values(*_ROW_FIELDS)


def _gather(unit: Unit, probe: _Probe, limit: int) -> dict[uuid.UUID, _Hit]:
    people = Person.unscoped.filter(unit=unit)
    hits: dict[uuid.UUID, _Hit] = {}

    def add(rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            hits.setdefault(row["id"], _Hit(row))

    identifier_q = Q(pk__in=[])
    if probe.pnc_index:
        identifier_q |= Q(pnc_id_index=probe.pnc_index)
    if probe.nhs_index:
        identifier_q |= Q(nhs_number_index=probe.nhs_index)
    if probe.pnc_index or probe.nhs_index:
        add(_rows(people.filter(identifier_q)))

    if probe.phon_family and probe.phon_given_forms:
        # Bounded: a very common pair (John Smith) must not fetch thousands of rows; with a date
        # of birth, the near-date tier below still finds the namesake born on the right day.
        add(
            _rows(
                people.filter(phonetic_family=probe.phon_family, phonetic_given__in=probe.phon_given_forms)[
                    :FALLBACK_ROWS
                ]
            )
        )

    if probe.details.date_of_birth:
        for row in _rows(people.filter(date_of_birth__in=near_dates(probe.details.date_of_birth))):
            if row["id"] in hits:
                continue
            stored = f"{row['match_given']} {row['match_family']}"
            if JaroWinkler.normalized_similarity(f"{probe.given} {probe.family}", stored) >= NAME_FLOOR or (
                row["match_given"] in probe.given_forms
                and JaroWinkler.normalized_similarity(probe.family, row["match_family"]) >= NAME_FLOOR
            ):
                hits[row["id"]] = _Hit(row)

    alias_q = Q(pk__in=[])
    if probe.phon_family and probe.phon_given_forms:
        alias_q |= Q(phonetic_family=probe.phon_family, phonetic_given__in=probe.phon_given_forms)
        alias_q |= Q(
            phonetic_family=probe.phon_family, phonetic_given="", person__phonetic_given__in=probe.phon_given_forms
        )
        alias_q |= Q(
            phonetic_family="", phonetic_given__in=probe.phon_given_forms, person__phonetic_family=probe.phon_family
        )
    if probe.phon_family or probe.phon_given:
        aliases = PersonAlias.unscoped.filter(alias_q, person__unit=unit).values_list(
            "person_id", "kind", "match_given", "match_family"
        )
        alias_rows = list(aliases[:FALLBACK_ROWS])
        missing = {person_id for person_id, *_ in alias_rows if person_id not in hits}
        if missing:
            add(_rows(people.filter(pk__in=missing)))
        for person_id, kind, alias_given, alias_family in alias_rows:
            hit = hits[person_id]
            hit.alias_kinds.add(kind)
            hit.alias_names.append((alias_given, alias_family))

    if len(hits) < limit:
        if probe.phon_family and probe.given:
            add(
                _rows(
                    people.filter(phonetic_family=probe.phon_family, match_given__startswith=probe.given[0])[
                        :FALLBACK_ROWS
                    ]
                )
            )
        elif probe.phon_family:
            add(_rows(people.filter(phonetic_family=probe.phon_family)[:FALLBACK_ROWS]))
        if probe.phon_given and probe.family:
            add(
                _rows(
                    people.filter(phonetic_given=probe.phon_given, match_family__startswith=probe.family[:2])[
                        :FALLBACK_ROWS
                    ]
                )
            )
    return hits


def person_candidates(*, unit: Unit, details: PersonDetails, limit: int = 20) -> list[Candidate]:
    """People recorded in `unit` who may be the person `details` describe, best first.

    Guarantees: only persons of `unit`; at most `limit`; an identifier match scores 1.0 and
    nothing else does; every candidate says in plain English why it was proposed. Reads only
    (no audit): the caller records what the user then sees or decides.
    """
    probe = _Probe.of(details)
    if not (probe.given or probe.family or probe.pnc_index or probe.nhs_index or details.date_of_birth):
        return []
    today = timezone.localdate()
    scored: list[tuple[float, uuid.UUID, tuple[str, ...]]] = []
    for person_id, hit in _gather(unit, probe, limit).items():
        score, reasons = _score(probe, hit, today)
        if score >= 0.3:
            scored.append((round(score, 4), person_id, tuple(reasons)))
    scored.sort(key=lambda item: (-item[0], str(item[1])))
    best = scored[:limit]
    people = Person.unscoped.in_bulk([person_id for _, person_id, _ in best])
    return [Candidate(person=people[person_id], score=score, reasons=reasons) for score, person_id, reasons in best]


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
    unit_ids = set(Person.unscoped.filter(q).exclude(unit=unit).values_list("unit_id", flat=True).distinct())
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
