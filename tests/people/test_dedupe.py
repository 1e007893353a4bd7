"""Batch de-duplication: each kind of duplicate is found with its reasons; look-alikes and bad files are not."""

from __future__ import annotations

import csv
import gc
import random
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from masip.people.dedupe import (
    COLUMNS,
    DOB_EXACT,
    DOB_ONE_DAY,
    DOB_SWAPPED,
    DOB_TYPO,
    FIELDS,
    LEVELS,
    NAME_INITIAL,
    NAME_NICKNAME,
    NAME_PHONETIC,
    Comparer,
    DedupeInputError,
    _random_pairs,
    compare,
    decode_people_file,
    dedupe,
    make_record,
    names_levels,
    parse_date,
    pattern_of,
    read_people,
)

HEADER = ",".join(COLUMNS)

# Known duplicates of each kind, among distinct people (a household, look-alike names).
PEOPLE = """\
1,Robert,Hartley,1975-04-12,M,14 Mill Lane,,Leeds,LS6 2AB
2,Bob,Hartley,12/04/1975,M,14 Mill Lane,,Leeds,LS6 2AB
3,Catherine,Okonkwo,1988-09-03,F,7 Elm Grove,Flat 2,Bristol,BS7 8QQ
4,Katherine,Okonkwo,1988-03-09,F,,,,
5,Priya,Ramaswamy,1990-01-30,F,22 Station Road,,York,YO1 6HB
6,Ramaswamy,Priya,1990-01-30,F,22 Station Rd,,York,YO16HB
7,Declan,Fitzgerald,1966-11-20,M,3 Church Street,,Hull,HU1 1AA
8,Declan,Fitzgerlad,1966-11-21,,9 Park Avenue,,Derby,DE1 2CD
9,Siobhan,McAllister,1979-06-05,F,41 Oak Drive,,Exeter,EX4 4QJ
10,Siobhan,McAllister,1997-06-05,F,41 Oak Drive,,Exeter,EX4 4QJ
11,Hartley,Robert,,,,,,
12,Margaret,Blenkinsop,1952-02-14,F,5 Queens Road,,Norwich,NR2 3AB
13,Maggie,Blenkinsopp,,,5 Queens Road,,Norwich,NR2 3AB
14,Thomas,Hartley,1975-09-01,M,14 Mill Lane,,Leeds,LS6 2AB
15,Emily,Hartley,2004-05-17,F,14 Mill Lane,,Leeds,LS6 2AB
16,John,Smith,1980-01-01,M,1 High Street,,Leeds,LS1 1AA
17,Jon,Smyth,1992-07-23,M,88 Low Road,,Plymouth,PL1 9ZZ
18,Edward,Okafor,1971-03-03,M,2 Ash Way,,Cardiff,CF10 1AB
19,Edwin,Okafor,1983-12-19,M,60 Beech Close,,Swansea,SA1 1AA
20,Declan,Fitzpatrick,1966-08-02,M,17 Cedar Court,,Hull,HU5 2BB
"""
DUPLICATES = {
    frozenset({"1", "2"}),  # nickname, other date format
    frozenset({"3", "4"}),  # phonetic given name, day and month swapped, address missing
    frozenset({"5", "6"}),  # given name and surname swapped, address written differently
    frozenset({"7", "8"}),  # surname typo, date a day out, moved, sex missing
    frozenset({"9", "10"}),  # year mistyped
    frozenset({"12", "13"}),  # nickname, surname typo, no date of birth
}


def records_of(body: str):
    records, bad = read_people(f"{HEADER}\n{body}", today=date(2026, 1, 1))
    return records, bad


@pytest.fixture(scope="module")
def result():
    records, bad = records_of(PEOPLE)
    assert bad == []
    return dedupe(records)


def pair_map(result):
    return {frozenset({p.a.id, p.b.id}): p for p in result.pairs}


def test_each_kind_of_duplicate_is_found_with_reasons(result):
    found = pair_map(result)
    for pair in DUPLICATES:
        assert pair in found, f"{sorted(pair)} not found"
    assert "first name Bob is a known form of Robert" in found[frozenset({"1", "2"})].reason
    assert "same address" in found[frozenset({"1", "2"})].reason
    assert "day and month of birth swapped" in found[frozenset({"3", "4"})].reason
    assert "first name matches phonetically" in found[frozenset({"3", "4"})].reason
    assert "first name and surname swapped" in found[frozenset({"5", "6"})].reason
    assert "same date of birth" in found[frozenset({"5", "6"})].reason
    fitzgerald = found[frozenset({"7", "8"})].reason
    assert "date of birth one day apart" in fitzgerald
    assert "surname matches phonetically" in fitzgerald
    assert "different address" in fitzgerald
    assert "date of birth differs by one digit or two swapped digits" in found[frozenset({"9", "10"})].reason
    assert "no date of birth to compare" in found[frozenset({"12", "13"})].reason


def test_scores_are_probabilities_with_the_clearest_duplicates_highest(result):
    found = pair_map(result)
    scores = [p.score for p in result.pairs]
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert scores == sorted(scores, reverse=True)
    # Near-identical records outrank a pair with a date out, a typo and a move.
    assert found[frozenset({"1", "2"})].score > found[frozenset({"7", "8"})].score
    assert found[frozenset({"5", "6"})].score > 0.9


def test_distinct_people_with_similar_names_or_a_shared_home_are_not_paired(result):
    found = pair_map(result)
    for pair in (
        {"16", "17"},  # John Smith / Jon Smyth, different dates and places
        {"18", "19"},  # Edward / Edwin Okafor: different people
        {"7", "20"},  # Declan Fitzgerald / Fitzpatrick, same town, different date
        {"1", "14"},  # same household and surname, different first name and date
        {"14", "15"},
        {"2", "15"},
    ):
        assert frozenset(pair) not in found


def test_field_levels():
    def rec(**fields):
        return make_record(fields, today=date(2026, 1, 1))[0]

    robert = rec(id="a", given_name="Robert", surname="Smith", date_of_birth="1980-02-03")
    assert compare(robert, rec(id="b", given_name="Bob", surname="Smith"))[0] == NAME_NICKNAME
    assert compare(robert, rec(id="b", given_name="Robert", surname="Smyth"))[1] == NAME_PHONETIC
    assert compare(robert, rec(id="b", date_of_birth="03/02/1980"))[2] == DOB_EXACT
    assert compare(robert, rec(id="b", date_of_birth="1980-03-02"))[2] == DOB_SWAPPED
    assert compare(robert, rec(id="b", date_of_birth="1980-02-04"))[2] == DOB_ONE_DAY
    assert compare(robert, rec(id="b", date_of_birth="1990-02-03"))[2] == DOB_TYPO
    assert compare(robert, rec(id="b")) == (0, 0, 0, 0, 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1984-03-07", date(1984, 3, 7)),
        ("1984-03-07T00:00:00", date(1984, 3, 7)),
        ("07/03/1984", date(1984, 3, 7)),
        ("7-3-1984", date(1984, 3, 7)),
        ("07.03.1984", date(1984, 3, 7)),
        ("07/03/84", date(1984, 3, 7)),
        ("07/03/19", date(2019, 3, 7)),
        ("19840307", date(1984, 3, 7)),
        ("7 March 1984", date(1984, 3, 7)),
        ("7th Mar 1984", date(1984, 3, 7)),
        ("  ", None),
    ],
)
def test_common_date_formats(text, expected):
    assert parse_date(text, today=date(2026, 1, 1)) == expected


@pytest.mark.parametrize("text", ["31/02/1980", "next tuesday", "2030-01-01", "1066-10-14"])
def test_impossible_dates_are_refused(text):
    with pytest.raises(ValueError, match="date of birth"):
        parse_date(text, today=date(2026, 1, 1))


def test_blanks_everywhere_are_compared_without_error():
    body = "1,,,,,,,,\n2,,,,,,,,\n3,Ann,,,,,,,\n4,Ann,,,,,,,\n5,,,1980-01-01,,,,,\n6,,,1980-01-01,,,,,\n"
    records, bad = records_of(body)
    assert [r.id for r in records] == ["1", "2", "3", "4", "5", "6"]
    assert bad == []
    result = dedupe(records, threshold=0.0)
    for pair in result.pairs:
        assert 0.0 <= pair.score <= 1.0
        assert pair.reason
    scores = {frozenset({p.a.id, p.b.id}): p for p in result.pairs}
    assert frozenset({"1", "2"}) not in scores  # nothing to compare
    assert frozenset({"3", "4"}) not in scores  # a first name alone is no blocking key
    assert scores[frozenset({"5", "6"})].reason == "same date of birth; no surname or first name or address to compare"


def test_bad_rows_are_reported_with_line_numbers_and_the_rest_kept():
    body = "1,Ann,Lee,1980-01-01,F,,,,\n2,Ann,Lee\n,Bo,Lee,,,,,,\n1,Ann,Lee,,,,,,\n\n3,Ann,Lee,31/02/1980,F,,,,\n"
    records, bad = records_of(body)
    assert [r.id for r in records] == ["1", "3"]
    assert [(b.line, b.kept) for b in bad] == [(3, False), (4, False), (5, False), (7, True)]
    assert "has 3 fields" in bad[0].message
    assert "no id" in bad[1].message
    assert "repeats the id" in bad[2].message
    assert "does not exist" in bad[3].message
    assert records[1].born is None


def test_a_missing_column_is_refused():
    with pytest.raises(DedupeInputError, match="no date_of_birth, postcode columns"):
        read_people("id,given_name,surname,sex,address_1,address_2,town\n1,A,B,,,,\n")


def test_an_empty_file_is_refused():
    with pytest.raises(DedupeInputError, match="empty"):
        read_people("")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"PK\x03\x04rest of a zip", "spreadsheet or zip"),
        (b"id,given_name\x00\x01\x02", "binary"),
        ("id,given_name\nr\xe9my".encode("latin-1"), "not UTF-8 .* line 2"),
    ],
)
def test_binary_and_non_utf8_files_are_refused(data, message):
    with pytest.raises(DedupeInputError, match=message):
        decode_people_file(data)


def test_a_byte_order_mark_is_accepted():
    assert decode_people_file(f"\ufeff{HEADER}\n".encode()).startswith("id,")


def test_same_input_same_output():
    rng = random.Random(5)
    given = ["Amy", "Ben", "Cara", "Dev", "Eli", "Fay", "Gus", "Hal"]
    surnames = ["Ng", "Orr", "Pike", "Quinn", "Rowe", "Shah", "Tull", "Vale"]
    lines = [
        f"{k},{rng.choice(given)},{rng.choice(surnames)},19{rng.randrange(50, 99)}-0{rng.randrange(1, 9)}-1{k % 9},,,,,"
        for k in range(300)
    ]
    records, _ = records_of("\n".join(lines) + "\n")
    first = [(p.a.id, p.b.id, p.score, p.reason) for p in dedupe(records, threshold=0.1).pairs]
    second = [(p.a.id, p.b.id, p.score, p.reason) for p in dedupe(records, threshold=0.1).pairs]
    assert first == second


# --- The command, end to end ----------------------------------------------------------------


@pytest.fixture
def people_csv(tmp_path: Path) -> Path:
    path = tmp_path / "people.csv"
    extra = '21,=HYPERLINK("http://x"),Hartley,1975-04-12,M,14 Mill Lane,,Leeds,LS6 2AB\n'
    extra += "22,Ann,Lee,31/02/1980,F,,,,\n"
    path.write_text(HEADER + "\n" + PEOPLE + extra, encoding="utf-8")
    return path


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("dedupe_people", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_command_writes_sorted_formula_safe_pairs(people_csv: Path, tmp_path: Path):
    output = tmp_path / "pairs.csv"
    out, err = run("--input", str(people_csv), "--output", str(output))
    assert "line 23: date of birth '31/02/1980' does not exist" in err
    assert "Read 22 people (0 rows skipped)" in out
    with output.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows
    assert list(rows[0]) == ["id_a", "id_b", "score", "reason"]
    scores = [float(r["score"]) for r in rows]
    assert scores == sorted(scores, reverse=True)
    assert all(0.5 <= s <= 1.0 for s in scores)
    pairs = {frozenset({r["id_a"], r["id_b"]}) for r in rows}
    assert pairs >= DUPLICATES
    assert all(r["reason"] for r in rows)
    assert not any(r["reason"].startswith(("=", "+", "-", "@")) for r in rows)


def test_command_threshold_changes_what_is_listed(people_csv: Path, tmp_path: Path):
    low, high = tmp_path / "low.csv", tmp_path / "high.csv"
    run("--input", str(people_csv), "--output", str(low), "--threshold", "0.05")
    run("--input", str(people_csv), "--output", str(high), "--threshold", "0.99")
    count = [len(path.read_text(encoding="utf-8").splitlines()) for path in (low, high)]
    assert count[0] > count[1]


def test_command_ids_are_formula_safe(tmp_path: Path):
    source = tmp_path / "people.csv"
    source.write_text(
        HEADER + "\n=1+1,Robert,Hartley,1975-04-12,M,14 Mill Lane,,Leeds,LS6 2AB\n"
        "@SUM(A1),Robert,Hartley,1975-04-12,M,14 Mill Lane,,Leeds,LS6 2AB\n",
        encoding="utf-8",
    )
    output = tmp_path / "pairs.csv"
    run("--input", str(source), "--output", str(output))
    row = next(csv.DictReader(output.open(encoding="utf-8")))
    assert {row["id_a"], row["id_b"]} == {"'=1+1", "'@SUM(A1)"}


def test_command_refuses_to_overwrite_without_force(people_csv: Path, tmp_path: Path):
    output = tmp_path / "pairs.csv"
    output.write_text("keep me", encoding="utf-8")
    with pytest.raises(CommandError, match=r"already exists.*--force"):
        run("--input", str(people_csv), "--output", str(output))
    assert output.read_text(encoding="utf-8") == "keep me"
    run("--input", str(people_csv), "--output", str(output), "--force")
    assert output.read_text(encoding="utf-8").startswith("id_a,id_b,score,reason")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"id,given_name,surname\n1,A,B\n", "no date_of_birth, sex, address_1, address_2, town, postcode columns"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (HEADER.encode() + b"\n1,Jos\xe9,Lee,,,,,,\n", "not UTF-8"),
    ],
)
def test_command_refuses_bad_files_with_a_clear_message(tmp_path: Path, content: bytes, message: str):
    source = tmp_path / "people.csv"
    source.write_bytes(content)
    output = tmp_path / "pairs.csv"
    with pytest.raises(CommandError, match=message):
        run("--input", str(source), "--output", str(output))
    assert not output.exists()


def test_command_refuses_a_missing_input_and_a_bad_threshold(tmp_path: Path):
    with pytest.raises(CommandError, match="no file"):
        run("--input", str(tmp_path / "nope.csv"), "--output", str(tmp_path / "out.csv"))
    with pytest.raises(CommandError, match="probability between 0 and 1"):
        run("--input", str(tmp_path / "nope.csv"), "--output", str(tmp_path / "out.csv"), "--threshold", "2")


# --- The fast comparison agrees with the plain one --------------------------------------------


def _varied_records(count: int, seed: int):
    """Records with the differences duplicates have: typos, nicknames, swapped names and dates."""
    rng = random.Random(seed)
    given = ["Robert", "Bob", "Catherine", "Katherine", "Kathleen", "Kate", "Priya", "Priyanka", "R", "", "Jon", "John"]
    given += ["Hartley", "Hartwell"]
    surnames = ["Hartley", "Hartly", "Hartwell", "Okonkwo", "Smith", "Smyth", "Robert", "", "McAllister", "Priya"]
    dates = ["1975-04-12", "1975-12-04", "1975-04-13", "1957-04-12", "1976-04-12", "1985-04-12", "1975-04-21"]
    dates += ["1975-05-12", "1979-06-05", "1997-06-05", "1975-04-11", "1975-02-14", "", "1980-12-31", "1981-01-01"]
    dates += ["1981-01-12", "1980-11-12", "1975-01-23", "1975-02-13"]  # neighbouring digits swapped across parts
    lines = ["14 Mill Lane", "14 Mill Ln", "14 Mil Lane", "41 Mill Lane", "7 Elm Grove", "", "Flat 2 Elm Grove"]
    postcodes = ["LS6 2AB", "LS6 2AD", "LS1 1AA", "BS7 8QQ", ""]
    towns = ["Leeds", "Bristol", "", "leeds"]
    rows = [
        {
            "id": str(k),
            "given_name": rng.choice(given),
            "surname": rng.choice(surnames),
            "date_of_birth": rng.choice(dates),
            "sex": rng.choice(["M", "F", "", "x"]),
            "address_1": rng.choice(lines),
            "town": rng.choice(towns),
            "postcode": rng.choice(postcodes),
        }
        for k in range(count)
    ]
    return [make_record(row, today=date(2026, 1, 1))[0] for row in rows]


def test_the_comparer_gives_the_levels_of_compare_for_every_pair():
    records = _varied_records(160, seed=11) + records_of(PEOPLE)[0]
    n = len(records)
    groups = [(i, [j for j in range(n) if j != i]) for i in range(n)]
    comparer = Comparer(records)
    codes = comparer.codes(groups)
    pairs = [(i, j) for i, later in groups for j in later]
    kinds = set()
    for (i, j), code in zip(pairs, codes, strict=True):
        a, b = records[i], records[j]
        pattern, swapped = pattern_of(code)
        assert pattern == compare(a, b), (a, b)
        assert swapped == names_levels(a, b)[2]
        kinds.add((pattern, swapped))
    # The sample holds every level of every field (initials and nicknames are for given names), and swapped names.
    for f, top in enumerate(LEVELS):
        expected = set(range(top + 1)) - ({NAME_INITIAL, NAME_NICKNAME} if f == 1 else set())
        assert {pattern[f] for pattern, _ in kinds} == expected, FIELDS[f]
    assert any(swapped for _, swapped in kinds)
    assert comparer.codes(groups) == codes  # remembered comparisons give the same answers


def test_random_pairs_are_those_of_random_sample():
    rng = random.Random(3)
    expected = [tuple(rng.sample(range(1000), 2)) for _ in range(5000)]
    assert _random_pairs(1000, 5000, 3) == expected


def test_the_garbage_collector_is_left_as_it_was():
    records, _ = records_of(PEOPLE)
    assert gc.isenabled()
    dedupe(records)
    assert gc.isenabled()
    gc.disable()
    try:
        dedupe(records)
        assert not gc.isenabled()
    finally:
        gc.enable()
