"""Synthetic people files for `dedupe_people`, with known duplicates.

    .venv/bin/python bench/synthetic_people.py --rows 10000 --output people.csv --truth truth.csv

Writes `people.csv` in the `dedupe_people` input format and `truth.csv` (`id,person`): rows with
the same `person` are the same person. Names come from `bench/people_match.py` (common British
names, Zipf-distributed). People live in households (a shared address and usually a shared
surname, sometimes twins), which makes the hard non-matches; about a fifth of people have one to
three other records, each with one to three of: a typo in either name, a familiar form of the
given name, given name and surname swapped, an initial for the given name, day and month of birth
swapped, a date one day out, a mistyped year, a married surname, a moved address, and blanks
(date of birth, sex, address, postcode). Dates come in ISO, UK day-first and written-out forms.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from people_match import GIVEN, NICK, SURNAMES, typo, zipf_choice

FEMALE = set(GIVEN[GIVEN.index("olivia") : GIVEN.index("darcie") + 1]) | {
    "margaret",
    "susan",
    "sarah",
    "rebecca",
    "katherine",
    "catherine",
    "patricia",
    "deborah",
    "victoria",
    "samantha",
    "jennifer",
}
MORE_NICK = {"oliver": "ollie", "charlotte": "lottie", "andrew": "andy", "peter": "pete", "kenneth": "ken"}
STREETS = [
    "high",
    "station",
    "church",
    "park",
    "victoria",
    "green",
    "manor",
    "mill",
    "school",
    "queens",
    "kings",
    "new",
    "grange",
    "north",
    "south",
    "west",
    "london",
    "chapel",
    "albert",
    "windsor",
    "york",
    "springfield",
    "main",
    "alexandra",
    "highfield",
    "richmond",
    "stanley",
    "broadway",
    "orchard",
    "meadow",
    "the crescent",
    "oak",
    "elm",
    "ash",
    "beech",
    "willow",
    "cedar",
    "birch",
    "hawthorn",
    "holly",
]
STREET_KINDS = ["Road", "Street", "Lane", "Avenue", "Close", "Drive", "Way", "Gardens", "Court", "Terrace"]
TOWNS = [
    ("Leeds", "LS"),
    ("Bradford", "BD"),
    ("Sheffield", "S"),
    ("Manchester", "M"),
    ("Salford", "M"),
    ("Liverpool", "L"),
    ("Birmingham", "B"),
    ("Coventry", "CV"),
    ("Nottingham", "NG"),
    ("Leicester", "LE"),
    ("Bristol", "BS"),
    ("Cardiff", "CF"),
    ("Swansea", "SA"),
    ("Newcastle upon Tyne", "NE"),
    ("Sunderland", "SR"),
    ("York", "YO"),
    ("Hull", "HU"),
    ("Norwich", "NR"),
    ("Ipswich", "IP"),
    ("Cambridge", "CB"),
    ("Oxford", "OX"),
    ("Reading", "RG"),
    ("Southampton", "SO"),
    ("Portsmouth", "PO"),
    ("Brighton", "BN"),
    ("Exeter", "EX"),
    ("Plymouth", "PL"),
    ("Derby", "DE"),
    ("Stoke-on-Trent", "ST"),
    ("Wolverhampton", "WV"),
]
LOCALITIES = ["Headingley", "Chapeltown", "Moss Side", "Everton", "Edgbaston", "Clifton", "Roath", "Jesmond"]
LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


@dataclass(frozen=True)
class Person:
    given: str
    surname: str
    born: date | None
    sex: str
    address_1: str
    address_2: str
    town: str
    postcode: str


def new_address(rng: random.Random) -> tuple[str, str, str, str]:
    town, area = rng.choice(TOWNS)
    street = f"{rng.choice(STREETS).title()} {rng.choice(STREET_KINDS)}"
    number = rng.randrange(1, 200)
    flat = rng.random() < 0.15
    line_1 = f"Flat {rng.randrange(1, 12)}, {number} {street}" if flat else f"{number} {street}"
    line_2 = rng.choice(LOCALITIES) if rng.random() < 0.25 else ""
    postcode = f"{area}{rng.randrange(1, 30)} {rng.randrange(1, 10)}{rng.choice(LETTERS)}{rng.choice(LETTERS)}"
    return line_1, line_2, town, postcode


def birth(rng: random.Random, low: int = 1940, high: int = 2006) -> date:
    return date(low, 1, 1) + timedelta(days=rng.randrange((high - low) * 365))


def given_for(rng: random.Random, female: bool) -> str:
    while True:
        name = zipf_choice(rng, GIVEN)
        if (name in FEMALE) == female:
            return name


def households(rng: random.Random) -> Iterator[list[Person]]:
    """Endless households of one to five people sharing an address."""
    while True:
        line_1, line_2, town, postcode = new_address(rng)
        surname = zipf_choice(rng, SURNAMES)
        size = rng.choices((1, 2, 3, 4, 5), weights=(40, 30, 15, 10, 5))[0]
        adult = birth(rng, 1940, 1985)
        members = []
        twins = size >= 3 and rng.random() < 0.03  # about the share of maternities that are twins
        for k in range(size):
            female = rng.random() < 0.5
            own_surname = surname if k == 0 or rng.random() < 0.75 else zipf_choice(rng, SURNAMES)
            if k <= 1:
                born = adult + timedelta(days=rng.randrange(-2000, 2000))
            elif twins and k == 3:
                born = members[2].born
            else:
                born = adult + timedelta(days=rng.randrange(20 * 365, 35 * 365))
                if born > date(2010, 1, 1):
                    born = adult + timedelta(days=rng.randrange(365 * 12, 365 * 20))
            sex = "f" if female else "m"
            members.append(Person(given_for(rng, female), own_surname, born, sex, line_1, line_2, town, postcode))
        yield members


def nickname(given: str) -> str:
    forms = {**NICK, **MORE_NICK}
    return forms.get(given, given)


def corrupt(rng: random.Random, person: Person) -> Person:
    """Another record of the same person, with one to three differences."""
    kinds = rng.choices(
        (
            "surname typo",
            "given typo",
            "nickname",
            "swapped names",
            "initial",
            "dob swapped",
            "dob day",
            "dob year",
            "married",
            "moved",
            "no dob",
            "no sex",
            "no address",
            "no postcode",
        ),
        weights=(14, 12, 10, 5, 3, 6, 6, 6, 3, 12, 5, 4, 5, 4),
        k=rng.choice((1, 1, 2, 2, 3)),
    )
    p = person
    for kind in kinds:
        if kind == "surname typo":
            p = replace(p, surname=typo(rng, p.surname))
        elif kind == "given typo":
            p = replace(p, given=typo(rng, p.given))
        elif kind == "nickname":
            p = replace(p, given=nickname(p.given))
        elif kind == "swapped names":
            p = replace(p, given=p.surname, surname=p.given)
        elif kind == "initial":
            p = replace(p, given=p.given[:1])
        elif kind == "dob swapped" and p.born and p.born.day <= 12:
            p = replace(p, born=date(p.born.year, p.born.day, p.born.month))
        elif kind == "dob day" and p.born:
            p = replace(p, born=p.born + timedelta(days=rng.choice((-1, 1))))
        elif kind == "dob year" and p.born:
            with contextlib.suppress(ValueError):  # 29 February
                p = replace(p, born=p.born.replace(year=p.born.year + rng.choice((-10, -1, 1, 10))))
        elif kind == "married" and p.sex == "f":
            p = replace(p, surname=zipf_choice(rng, SURNAMES))
        elif kind == "moved":
            p = replace(p, **dict(zip(("address_1", "address_2", "town", "postcode"), new_address(rng), strict=True)))
        elif kind == "no dob":
            p = replace(p, born=None)
        elif kind == "no sex":
            p = replace(p, sex="")
        elif kind == "no address":
            p = replace(p, address_1="", address_2="", town="", postcode="")
        elif kind == "no postcode":
            p = replace(p, postcode="")
    return p


def written(rng: random.Random, person_id: str, p: Person) -> list[str]:
    """A row as a legacy system might have written it: varied case and date formats."""

    def name(value: str) -> str:
        return value.upper() if rng.random() < 0.1 else value.title()

    born = ""
    if p.born:
        style = rng.random()
        if style < 0.7:
            born = p.born.isoformat()
        elif style < 0.95:
            born = p.born.strftime("%d/%m/%Y")
        else:
            born = f"{p.born.day} {p.born.strftime('%b %Y')}"
    sex = {"m": "M", "f": "F"}.get(p.sex, "")
    if sex and rng.random() < 0.2:
        sex = {"M": "Male", "F": "Female"}[sex]
    postcode = p.postcode.replace(" ", "") if rng.random() < 0.1 else p.postcode
    return [person_id, name(p.given), name(p.surname), born, sex, p.address_1, p.address_2, p.town, postcode]


def generate(rows: int, seed: int) -> tuple[list[list[str]], list[tuple[str, int]]]:
    """`rows` people rows and their truth (id, person number), shuffled."""
    rng = random.Random(seed)  # noqa: S311 - reproducible synthetic data
    out: list[tuple[int, Person]] = []
    number = 0
    for household in households(rng):
        for person in household:
            # A few records on file already lack a field.
            if rng.random() < 0.03:
                person = replace(person, born=None)
            if rng.random() < 0.05:
                person = replace(person, sex="")
            out.append((number, person))
            extra = rng.choices((0, 1, 2, 3), weights=(80, 14, 4, 2))[0]
            out.extend((number, corrupt(rng, person)) for _ in range(extra))
            number += 1
        if len(out) >= rows:
            break
    out = out[:rows]
    rng.shuffle(out)
    ids = rng.sample(range(1_000_000, 10_000_000), len(out))
    table = [written(rng, f"P{ids[k]}", person) for k, (_, person) in enumerate(out)]
    truth = [(f"P{ids[k]}", n) for k, (n, _) in enumerate(out)]
    return table, truth


def write(rows: int, seed: int, output: Path, truth_path: Path) -> None:
    table, truth = generate(rows, seed)
    with output.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["id", "given_name", "surname", "date_of_birth", "sex", "address_1", "address_2", "town", "postcode"]
        )
        writer.writerows(table)
    with truth_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "person"])
        writer.writerows(truth)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--truth", type=Path, required=True)
    args = parser.parse_args()
    write(args.rows, args.seed, args.output, args.truth)


if __name__ == "__main__":
    main()
