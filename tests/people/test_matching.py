"""Identity resolution: each kind of near-duplicate is found, with the right reasons, in the right unit only."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from masip.accounts.models import Role
from masip.audit.models import AuditEvent
from masip.core.keyring import generate_key_spec
from masip.people.blind_index import blind_index
from masip.people.keys import trigram_similarity
from masip.people.matching import PersonDetails, near_dates, other_unit_pointers, person_candidates
from masip.people.models import AliasKind, Person
from masip.people.nicknames import pair_count
from masip.people.services import person_alias_add, person_create
from tests.factories import UnitFactory, member

pytestmark = pytest.mark.django_db

VALID_NHS = "9434765919"  # passes the modulus 11 check
DOB = date(1984, 3, 7)


@pytest.fixture
def screener(unit):
    return member(Role.UNIT_MANAGER, unit=unit)


def make(actor, unit, **kwargs) -> Person:
    return person_create(actor=actor, unit=unit, details=PersonDetails(**kwargs))


def top(unit, **kwargs):
    return person_candidates(unit=unit, details=PersonDetails(**kwargs))


def test_identifier_match_scores_one_and_says_why(unit, screener):
    person = make(screener, unit, given_name="Daniel", family_name="Okafor", nhs_number=VALID_NHS)
    make(screener, unit, given_name="Daniel", family_name="Okafor")
    found = top(unit, given_name="Dan", family_name="Okafore", nhs_number="943 476 5919")
    assert found[0].person == person
    assert found[0].score == 1.0
    assert "same NHS number" in found[0].reasons
    assert all(c.score < 1.0 for c in found[1:])


def test_pnc_id_matches_in_its_other_written_forms(unit, screener):
    person = make(screener, unit, given_name="Lee", family_name="Hart", pnc_id="2001/0012345A")
    found = top(unit, pnc_id="01/12345a")
    assert [(c.person, c.score) for c in found] == [(person, 1.0)]
    assert found[0].reasons[0] == "same PNC id"


@pytest.mark.parametrize(
    ("probe", "expected_reason"),
    [
        ({"given_name": "Jonathon", "family_name": "Whitaker", "date_of_birth": DOB}, "same date of birth"),
        (
            {"given_name": "Jonathan", "family_name": "Whittaker", "date_of_birth": date(1984, 7, 3)},
            "day and month of birth swapped",
        ),
        (
            {"given_name": "Jonathan", "family_name": "Whitaker", "date_of_birth": date(1984, 3, 8)},
            "date of birth one day apart",
        ),
        (
            {"given_name": "Jonathan", "family_name": "Whitaker", "date_of_birth": date(1994, 3, 7)},
            "year of birth ten out (a digit mistyped?)",
        ),
        ({"given_name": "Jon", "family_name": "Whitaker", "date_of_birth": DOB}, "Jon is a known form of Jonathan"),
        ({"given_name": "Jonathan", "family_name": "Whitacre"}, "surname sounds the same"),
        ({"given_name": "Jonathan", "family_name": "Whitajer"}, "surname spelt similarly"),
    ],
)
def test_near_duplicates_found_first_with_reasons(unit, screener, probe, expected_reason):
    person = make(screener, unit, given_name="Jonathan", family_name="Whitaker", date_of_birth=DOB)
    for n in range(5):  # noise the ranking must see past
        make(screener, unit, given_name="Jonathan", family_name=f"Other{n}", date_of_birth=date(1970 + n, 1, 1))
    found = top(unit, **probe)
    assert found
    assert found[0].person == person, [(c.person.display_name, c.reasons) for c in found]
    assert expected_reason in found[0].reasons


def test_alias_and_nickname_records_are_matched(unit, screener):
    person = make(screener, unit, given_name="Margaret", family_name="Doyle", date_of_birth=DOB)
    person_alias_add(actor=screener, person=person, family_name="Brennan", kind=AliasKind.PREVIOUS_NAME)
    person_alias_add(actor=screener, person=person, given_name="Daisy", kind=AliasKind.NICKNAME)
    by_previous = top(unit, given_name="Margaret", family_name="Brenan")
    assert by_previous[0].person == person
    assert "matches a previous name on record" in by_previous[0].reasons
    by_nickname = top(unit, given_name="Daisy", family_name="Doyle")
    assert by_nickname[0].person == person
    assert "matches a nickname on record" in by_nickname[0].reasons
    assert "first name matches exactly" in by_nickname[0].reasons


def test_namesake_with_another_date_of_birth_ranks_below(unit, screener):
    namesake = make(screener, unit, given_name="John", family_name="Smith", date_of_birth=date(1962, 11, 30))
    same = make(screener, unit, given_name="John", family_name="Smyth", date_of_birth=DOB)
    found = top(unit, given_name="John", family_name="Smith", date_of_birth=DOB)
    assert [c.person for c in found[:2]] == [same, namesake]
    assert "different date of birth" in found[1].reasons
    assert found[0].score > found[1].score + 0.2


def test_other_units_people_are_never_candidates(unit, screener):
    elsewhere = UnitFactory()
    make(
        member(Role.UNIT_MANAGER, unit=elsewhere),
        elsewhere,
        given_name="Ruth",
        family_name="Bell",
        date_of_birth=DOB,
        nhs_number=VALID_NHS,
    )
    assert top(unit, given_name="Ruth", family_name="Bell", date_of_birth=DOB, nhs_number=VALID_NHS) == []


def test_pointers_name_the_unit_and_managers_only_and_are_audited(unit, screener):
    elsewhere = UnitFactory(name="Southshire Stalking Unit")
    manager = member(Role.UNIT_MANAGER, unit=elsewhere, email="lead@southshire.example")
    member(Role.CLINICIAN, unit=elsewhere)  # not a manager: not named
    make(manager, elsewhere, given_name="Ruth", family_name="Bell", date_of_birth=DOB)
    make(manager, elsewhere, given_name="Rose", family_name="Bell", pnc_id="99/123B")
    make(screener, unit, given_name="Ruth", family_name="Bell", date_of_birth=DOB)  # own unit: no pointer

    pointers = other_unit_pointers(
        unit=unit, details=PersonDetails(given_name="Ruthe", family_name="Bel", date_of_birth=DOB), actor=screener
    )
    assert [(p.unit_name, p.manager_emails) for p in pointers] == [
        ("Southshire Stalking Unit", ("lead@southshire.example",))
    ]
    assert set(vars(pointers[0])) == {"unit_name", "manager_emails"}
    event = AuditEvent.objects.order_by("-seq").first()
    assert (event.action, event.object_type, event.actor, event.unit) == ("view", "people.person", screener, unit)
    assert event.detail["pointer_units"] == [str(elsewhere.pk)]
    assert "Ruth" not in str(event.detail)
    assert event.fields == []

    assert (
        other_unit_pointers(unit=unit, details=PersonDetails(pnc_id="99/0000123b"), actor=screener)[0].unit_name
        == elsewhere.name
    )
    assert (
        other_unit_pointers(
            unit=unit,
            details=PersonDetails(given_name="Ruth", family_name="Bell", date_of_birth=date(1990, 1, 1)),
            actor=screener,
        )
        == []
    )
    assert AuditEvent.objects.filter(object_type="people.person", action="view").count() == 3


def test_blind_index_is_keyed_and_plaintext_never_stored(unit, screener):
    person = make(screener, unit, given_name="Amir", family_name="Shah", nhs_number=VALID_NHS, pnc_id="05/77A")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT * FROM people_person WHERE id = %s", [person.pk.hex if connection.vendor == "sqlite" else person.pk]
        )
        stored = " ".join(str(v) for v in cursor.fetchone())
    assert VALID_NHS not in stored
    assert "05/77A" not in stored
    assert "77A" not in stored
    assert person.nhs_number_index == blind_index("nhs_number", VALID_NHS)
    with override_settings(MASIP_INDEX_KEY=generate_key_spec("index2")):
        assert blind_index("nhs_number", VALID_NHS) != person.nhs_number_index
    assert blind_index("nhs_number", "") == ""


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("12345", "Enter an NHS number as 10 digits"),
        ("9434765918", "not a valid NHS number"),
        ("94347659I9", "Enter an NHS number"),
    ],
)
def test_bad_nhs_number_refused_with_a_clear_message(unit, screener, number, message):
    with pytest.raises(ValidationError) as caught:
        make(screener, unit, given_name="A", family_name="B", nhs_number=number)
    assert message in caught.value.message_dict["nhs_number"][0]
    assert not Person.unscoped.exists()


def test_create_is_audited_with_field_names_only(unit, screener):
    person = make(screener, unit, given_name="Kim", family_name="Lowe", approximate_age=40, gender="female")
    event = AuditEvent.objects.order_by("-seq").first()
    assert (event.action, event.object_id, event.person_id) == ("create", str(person.pk), person.pk)
    assert event.fields == ["approximate_age", "family_name", "gender", "given_name"]
    assert person.approximate_age_given_on is not None
    assert (person.match_family, person.phonetic_family) == ("lowe", "LW")


def test_renaming_recomputes_keys(unit, screener):
    person = make(screener, unit, given_name="Kim", family_name="Lowe")
    person.family_name = "Harper"
    person.save(update_fields=["family_name"])
    person.refresh_from_db()
    assert (person.match_family, person.phonetic_family) == ("harper", "HRPR")


def test_near_dates_and_nickname_list():
    assert near_dates(date(2000, 2, 29)) == {date(2000, 2, 28), date(2000, 2, 29), date(2000, 3, 1)}
    assert date(1984, 7, 3) in near_dates(DOB)
    assert date(1974, 3, 7) in near_dates(DOB)
    assert pair_count() >= 100


ENCRYPTED_COLUMNS = re.compile(r"\b(pnc_id|nhs_number|address|phone|email)\b")


def test_one_query_reads_no_encrypted_column_and_candidates_need_no_more(unit, screener):
    person = make(
        screener,
        unit,
        given_name="Jonathan",
        family_name="Whitaker",
        date_of_birth=DOB,
        nhs_number=VALID_NHS,
        gender="male",
    )
    Person.unscoped.filter(pk=person.pk).update(address="1 High Street", flags=["weapons_access"])
    with CaptureQueriesContext(connection) as queries:
        found = top(unit, given_name="Jonathon", family_name="Whitaker", date_of_birth=DOB, nhs_number=VALID_NHS)
        shown = [(c.person.display_name, c.person.date_of_birth, c.person.gender, c.person.flags) for c in found]
    assert shown == [("Jonathan Whitaker", DOB, "male", ["weapons_access"])]
    assert len(queries) == 1, [q["sql"] for q in queries]  # a likely match: no fallback, no reload
    assert "UNION ALL" in queries[0]["sql"]
    assert not ENCRYPTED_COLUMNS.search(queries[0]["sql"]), queries[0]["sql"]
    # What was not read loads on use, decrypted as usual.
    assert found[0].person.address == "1 High Street"
    assert found[0].person.nhs_number == VALID_NHS


def test_fallback_tier_runs_only_when_the_bounded_tiers_find_too_little(unit, screener):
    person = make(screener, unit, given_name="Jonathan", family_name="Whitaker", date_of_birth=DOB)
    with CaptureQueriesContext(connection) as queries:
        found = top(unit, given_name="Jonathan", family_name="Whitaker")
    assert [c.person for c in found] == [person]
    assert len(queries) == 1  # a likely match from the phonetic tier
    # Surname mistyped into another sound: only the fallback (given name's code and the first
    # letters of the surname) finds them.
    with CaptureQueriesContext(connection) as queries:
        found = top(unit, given_name="Jonathan", family_name="Whitajer")
    assert [c.person for c in found] == [person]
    assert "surname spelt similarly" in found[0].reasons
    assert len(queries) == 2
    assert not any(ENCRYPTED_COLUMNS.search(q["sql"]) for q in queries)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram search needs pg_trgm")
def test_fallback_finds_typos_in_both_names_by_name_alone_on_postgresql(unit, screener):
    person = make(screener, unit, given_name="Christopher", family_name="Whitaker", date_of_birth=DOB)
    found = top(unit, given_name="Christophr", family_name="Whittacker")  # both codes change
    assert [c.person for c in found] == [person]


def test_near_date_of_birth_needs_a_similar_name(unit, screener):
    twin = make(screener, unit, given_name="Harriet", family_name="Whitaker", date_of_birth=DOB)
    make(screener, unit, given_name="Oliver", family_name="Nowak", date_of_birth=DOB)
    nickname = make(screener, unit, given_name="Kate", family_name="Okafor", date_of_birth=DOB)
    found = top(unit, given_name="Jonathan", family_name="Whitaker", date_of_birth=DOB)
    assert [c.person for c in found] == [twin]  # same surname: shown, below a full match's score
    assert found[0].score < 0.9
    assert "first name matches exactly" not in found[0].reasons
    found = top(unit, given_name="Katherine", family_name="Okafore", date_of_birth=date(1984, 3, 8))
    assert [c.person for c in found] == [nickname]
    assert "Kate is a known form of Katherine" in found[0].reasons


def test_short_names_with_a_typo_in_each_are_found_by_date_of_birth(unit, screener):
    # Each name shares too few trigrams with the record's (Harry/Hrary 0.2, Newman/Newamn 0.27)
    # but is two keystrokes from it; both codes differ too.
    person = make(screener, unit, given_name="Harry", family_name="Newman", date_of_birth=DOB)
    make(screener, unit, given_name="Oliver", family_name="Nowak", date_of_birth=DOB)
    assert trigram_similarity("hrary", "harry") < 0.3
    assert trigram_similarity("newamn", "newman") < 0.3
    found = top(unit, given_name="Hrary", family_name="Newamn", date_of_birth=DOB)
    assert [c.person for c in found] == [person]
    assert "same date of birth" in found[0].reasons


def test_trigram_similarity_is_pg_trgm_similarity():
    pairs = [("whitaker", "whitajer"), ("smith", "smyth"), ("al", "al"), ("jon", "jonathan"), ("", "x"), ("ab", "ba")]
    ours = [round(trigram_similarity(a, b), 5) for a, b in pairs]
    assert ours[:4] == [0.5, round(3 / 9, 5), 1.0, 0.3]  # shared trigrams over all: 6/12, 3/9, 3/3, 3/10
    assert ours[4] == 0.0
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT " + ", ".join("similarity(%s, %s)" for _ in pairs), [v for pair in pairs for v in pair]
            )
            assert [round(v, 5) for v in cursor.fetchone()] == ours
