"""Benchmark `person_candidates`: latency and recall@20 with and without a date of birth.

Generates synthetic UK-like people in one unit of a scratch database (the worst case: every
person competes in the same blocks), of whom a tenth carry a near-duplicate record, then asks
for candidates for 1,000 typo'd probes whose true person is known, timing each call (the
indexed queries, the ranking and loading the top 20 persons). Writes a Markdown table.

    .venv/bin/python bench/people_match.py --database sqlite --persons 100000 --output bench/results/people_match.md
    .venv/bin/python bench/people_match.py --database postgresql --persons 100000 \
        --output bench/results/people_match.md --append

PostgreSQL uses a scratch database `masip_identity_bench` on 127.0.0.1 (user postgres), dropped
afterwards; SQLite a file under var/bench/, deleted afterwards. Not part of `make test`.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRATCH = ROOT / "var" / "bench"
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
PG_BENCH = "postgres://postgres@127.0.0.1:5432/masip_identity_bench"

# Written for this benchmark: common British surnames and given names, most frequent first.
SURNAMES = [
    "smith",
    "jones",
    "williams",
    "taylor",
    "brown",
    "davies",
    "evans",
    "wilson",
    "thomas",
    "johnson",
    "roberts",
    "robinson",
    "thompson",
    "wright",
    "walker",
    "white",
    "edwards",
    "hughes",
    "green",
    "hall",
    "lewis",
    "harris",
    "clarke",
    "patel",
    "jackson",
    "wood",
    "turner",
    "martin",
    "cooper",
    "hill",
    "ward",
    "morris",
    "moore",
    "clark",
    "lee",
    "king",
    "baker",
    "harrison",
    "morgan",
    "allen",
    "james",
    "scott",
    "phillips",
    "watson",
    "davis",
    "parker",
    "price",
    "bennett",
    "young",
    "griffiths",
    "mitchell",
    "kelly",
    "cook",
    "carter",
    "richardson",
    "bailey",
    "collins",
    "bell",
    "shaw",
    "murphy",
    "miller",
    "cox",
    "richards",
    "khan",
    "marshall",
    "anderson",
    "simpson",
    "ellis",
    "adams",
    "singh",
    "begum",
    "wilkinson",
    "foster",
    "chapman",
    "powell",
    "webb",
    "rogers",
    "gray",
    "mason",
    "ali",
    "hunt",
    "hussain",
    "campbell",
    "matthews",
    "owen",
    "palmer",
    "holmes",
    "mills",
    "barnes",
    "knight",
    "lloyd",
    "butler",
    "russell",
    "barker",
    "fisher",
    "stevens",
    "jenkins",
    "murray",
    "dixon",
    "harvey",
    "graham",
    "pearson",
    "ahmed",
    "fletcher",
    "walsh",
    "kaur",
    "gibson",
    "howard",
    "andrews",
    "stewart",
    "elliott",
    "reynolds",
    "saunders",
    "payne",
    "fox",
    "ford",
    "pearce",
    "day",
    "brooks",
    "west",
    "lawrence",
    "cole",
    "atkinson",
    "bradley",
    "spencer",
    "gill",
    "dawson",
    "ball",
    "burton",
    "obrien",
    "watts",
    "rose",
    "booth",
    "perry",
    "ryan",
    "grant",
    "wells",
    "armstrong",
    "francis",
    "rees",
    "hayes",
    "hart",
    "hudson",
    "newman",
    "barrett",
    "webster",
    "hunter",
    "gregory",
    "carr",
    "lowe",
    "page",
    "marsh",
    "riley",
    "dunn",
    "woods",
    "parsons",
    "berry",
    "stone",
    "reid",
    "holland",
    "hawkins",
    "harding",
    "porter",
    "robertson",
    "newton",
    "oconnor",
    "kennedy",
    "burns",
    "whitaker",
    "okafor",
    "nowak",
    "kowalski",
    "oduya",
    "mensah",
    "begum",
    "chowdhury",
    "rahman",
    "miah",
    "islam",
    "uddin",
    "sharma",
    "kumar",
]
GIVEN = [
    "oliver",
    "george",
    "harry",
    "jack",
    "jacob",
    "noah",
    "charlie",
    "muhammad",
    "thomas",
    "oscar",
    "william",
    "james",
    "leo",
    "alfie",
    "henry",
    "joshua",
    "freddie",
    "archie",
    "ethan",
    "isaac",
    "alexander",
    "joseph",
    "edward",
    "samuel",
    "max",
    "daniel",
    "arthur",
    "lucas",
    "mohammed",
    "logan",
    "theo",
    "harrison",
    "benjamin",
    "mason",
    "sebastian",
    "finley",
    "adam",
    "dylan",
    "zachary",
    "riley",
    "teddy",
    "theodore",
    "david",
    "elijah",
    "jake",
    "toby",
    "louie",
    "reuben",
    "arlo",
    "hugo",
    "luca",
    "jaxon",
    "matthew",
    "harvey",
    "reggie",
    "michael",
    "harley",
    "jude",
    "albert",
    "tommy",
    "luke",
    "stanley",
    "jenson",
    "frankie",
    "jayden",
    "gabriel",
    "elliot",
    "olivia",
    "amelia",
    "isla",
    "ava",
    "emily",
    "isabella",
    "mia",
    "poppy",
    "ella",
    "lily",
    "sophia",
    "grace",
    "evie",
    "scarlett",
    "ruby",
    "chloe",
    "isabelle",
    "daisy",
    "freya",
    "phoebe",
    "florence",
    "alice",
    "jessica",
    "sienna",
    "charlotte",
    "matilda",
    "evelyn",
    "eva",
    "millie",
    "sofia",
    "lucy",
    "elsie",
    "imogen",
    "layla",
    "rosie",
    "maya",
    "esme",
    "elizabeth",
    "lola",
    "willow",
    "ivy",
    "erin",
    "holly",
    "emilia",
    "molly",
    "ellie",
    "jasmine",
    "eliza",
    "lilly",
    "abigail",
    "georgia",
    "maisie",
    "eleanor",
    "hannah",
    "harriet",
    "amber",
    "bella",
    "thea",
    "annabelle",
    "emma",
    "amelie",
    "harper",
    "gracie",
    "rose",
    "summer",
    "martha",
    "violet",
    "penelope",
    "anna",
    "nancy",
    "zara",
    "maria",
    "darcie",
    "robert",
    "richard",
    "stephen",
    "margaret",
    "susan",
    "sarah",
    "rebecca",
    "katherine",
    "catherine",
    "patricia",
    "deborah",
    "christopher",
    "anthony",
    "andrew",
    "kenneth",
    "peter",
    "paul",
    "mark",
    "john",
    "gareth",
    "jonathan",
    "nicholas",
    "victoria",
    "samantha",
    "jennifer",
]
NICK = {
    "robert": "bob",
    "william": "bill",
    "elizabeth": "liz",
    "margaret": "maggie",
    "james": "jim",
    "richard": "rick",
    "katherine": "kate",
    "catherine": "cathy",
    "rebecca": "becky",
    "jennifer": "jenny",
    "anthony": "tony",
    "christopher": "chris",
    "thomas": "tom",
    "samuel": "sam",
    "daniel": "dan",
    "matthew": "matt",
    "michael": "mike",
    "edward": "ted",
    "joseph": "joe",
    "nicholas": "nick",
    "stephen": "steve",
    "susan": "sue",
    "patricia": "trish",
    "alexander": "alex",
    "benjamin": "ben",
    "jonathan": "jon",
    "victoria": "vicky",
    "samantha": "sam",
}


def zipf_choice(rng: random.Random, items: list[str]) -> str:
    # Name frequencies fall off roughly as 1/rank; the offset keeps the commonest name near
    # the 1-2% that Smith has in England and Wales.
    weights = _WEIGHTS.setdefault(len(items), [1 / (rank + 20) for rank in range(len(items))])
    return rng.choices(items, weights=weights)[0]


_WEIGHTS: dict[int, list[float]] = {}


def typo(rng: random.Random, word: str) -> str:
    if len(word) < 3:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("delete", "insert", "substitute", "transpose"))
    letters = "abcdefghijklmnopqrstuvwxyz"
    if kind == "delete":
        return word[:i] + word[i + 1 :]
    if kind == "insert":
        return word[:i] + rng.choice(letters) + word[i:]
    if kind == "substitute":
        return word[:i] + rng.choice(letters) + word[i + 1 :]
    return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]


def near_date(rng: random.Random, day: date) -> date:
    kind = rng.choice(("same", "same", "day", "swap", "year1", "year10"))
    try:
        if kind == "day":
            return day + timedelta(days=rng.choice((-1, 1)))
        if kind == "swap" and day.day <= 12:
            return date(day.year, day.day, day.month)
        if kind == "year1":
            return day.replace(year=day.year + rng.choice((-1, 1)))
        if kind == "year10":
            return day.replace(year=day.year + rng.choice((-10, 10)))
    except ValueError:
        pass
    return day


def variant(rng: random.Random, given: str, family: str, born: date) -> tuple[str, str, date, str]:
    """A near-duplicate of one person and the kind of difference."""
    kind = rng.choice(("family typo", "given typo", "nickname", "both typos", "date only"))
    if kind == "family typo":
        family = typo(rng, family)
    elif kind == "given typo":
        given = typo(rng, given)
    elif kind == "nickname" and given in NICK:
        given = NICK[given]
    elif kind == "both typos":
        family, given = typo(rng, family), typo(rng, given)
    return given, family, near_date(rng, born), kind


def setup(database: str) -> str:
    os.environ["DJANGO_SETTINGS_MODULE"] = "masip.settings.test"
    sys.path.insert(0, str(ROOT / "src"))
    if database == "sqlite":
        SCRATCH.mkdir(parents=True, exist_ok=True)
        path = SCRATCH / "people_match.sqlite3"
        path.unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
        return str(path)
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS masip_identity_bench")
        conn.execute("CREATE DATABASE masip_identity_bench")
    os.environ["DATABASE_URL"] = PG_BENCH
    return PG_BENCH


def teardown(database: str, where: str) -> None:
    from django.db import connection

    connection.close()
    if database == "sqlite":
        Path(where).unlink(missing_ok=True)
        return
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS masip_identity_bench")


def run(database: str, persons: int, probes: int, seed: int) -> dict[str, object]:
    where = setup(database)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from masip.accounts.models import Agency, AgencyKind, Unit
    from masip.people.matching import PersonDetails, person_candidates
    from masip.people.models import Person

    call_command("migrate", verbosity=0)
    agency = Agency.objects.create(name="Bench Police", kind=AgencyKind.POLICE)
    unit = Unit.objects.create(name="Bench Unit", code="BENCH", lead_agency=agency)
    rng = random.Random(seed)  # noqa: S311 - reproducible synthetic data, not a secret
    started = time.perf_counter()
    truth: list[tuple[str, str, date]] = []
    cluster: dict[object, int] = {}
    batch: list[Person] = []

    def flush() -> None:
        Person.unscoped.bulk_create(batch, batch_size=2000)
        batch.clear()

    originals = int(persons / 1.1)
    for n in range(originals):
        given, family = zipf_choice(rng, GIVEN), zipf_choice(rng, SURNAMES)
        born = date(1940, 1, 1) + timedelta(days=rng.randrange(365 * 65))
        rows = [(given, family, born)]
        if n < persons - originals:  # a tenth have a near-duplicate already on record
            g2, f2, b2, _ = variant(rng, given, family, born)
            rows.append((g2, f2, b2))
        for g, f, b in rows:
            person = Person(unit=unit, given_name=g.capitalize(), family_name=f.capitalize(), date_of_birth=b)
            person.refresh_match_keys()
            cluster[person.id] = n
            batch.append(person)
        truth.append((given, family, born))
        if len(batch) >= 10000:
            flush()
    flush()
    generated = time.perf_counter() - started
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    probe_rows = []
    kinds: dict[str, int] = {}
    for n in rng.sample(range(originals), probes):
        given, family, born = truth[n]
        g, f, b, kind = variant(rng, given, family, born)
        probe_rows.append((n, g.capitalize(), f.capitalize(), b))
        kinds[kind] = kinds.get(kind, 0) + 1

    results: dict[str, object] = {
        "probes": len(probe_rows),
        "persons": Person.unscoped.count(),
        "generated_s": generated,
        "kinds": kinds,
    }
    for label, with_dob in (("with date of birth", True), ("name only", False)):
        # Warm the caches once, as a running server would be.
        for _n, g, f, b in probe_rows[:50]:
            person_candidates(
                unit=unit, details=PersonDetails(given_name=g, family_name=f, date_of_birth=b if with_dob else None)
            )
        times, found = [], 0
        for n, g, f, b in probe_rows:
            details = PersonDetails(given_name=g, family_name=f, date_of_birth=b if with_dob else None)
            t0 = time.perf_counter()
            candidates = person_candidates(unit=unit, details=details)
            times.append((time.perf_counter() - t0) * 1000)
            if any(cluster.get(c.person.id) == n for c in candidates):
                found += 1
        q = statistics.quantiles(times, n=100)
        results[label] = {"p50": q[49], "p95": q[94], "p99": q[98], "recall": found / len(probe_rows)}
    teardown(database, where)
    return results


FLOORS = {  # PERFORMANCE.md, bounded tiers, p95 ms, and the targets
    ("sqlite", "with date of birth"): (1.5, 20.0),
    ("postgresql", "with date of birth"): (0.85, 5.0),
    ("postgresql", "name only"): (None, 50.0),
    ("sqlite", "name only"): (None, None),
}


def report(database: str, results: dict[str, object], command: str) -> str:
    lines = [
        f"## {database}, {results['persons']:,} persons in one unit, {results['probes']:,} probes",
        "",
        f"Command: `{command}`  ",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
        f"generation and bulk insert took {results['generated_s']:.0f} s.  ",
        f"Probe differences: {', '.join(f'{k} {v}' for k, v in sorted(results['kinds'].items()))}.",  # type: ignore[union-attr]
        "",
        "| probe | p50 ms | p95 ms | p99 ms | true person in top 20 "
        "| p95 / PERFORMANCE.md raw-SQL floor | issue target (p95) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label in ("with date of birth", "name only"):
        r = results[label]
        floor, target = FLOORS[(database, label)]
        ratio = f"{r['p95'] / floor:.1f}x" if floor else "n/a"  # type: ignore[index]
        lines.append(
            f"| {label} | {r['p50']:.2f} | {r['p95']:.2f} | {r['p99']:.2f} | {r['recall']:.1%} | {ratio} | "  # type: ignore[index]
            f"{f'{target:g} ms' if target else 'none'} |"
        )
    return "\n".join(lines) + "\n\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--probes", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--output", type=Path)
    parser.add_argument("--append", action="store_true")
    args = parser.parse_args()
    results = run(args.database, args.persons, args.probes, args.seed)
    text = report(args.database, results, ".venv/bin/python " + " ".join(["bench/people_match.py", *sys.argv[1:]]))
    print(text)
    if args.output:
        mode = "a" if args.append else "w"
        with args.output.open(mode) as handle:
            if not args.append:
                handle.write("# person_candidates: latency and recall\n\nWritten by `bench/people_match.py`.\n\n")
            handle.write(text)


if __name__ == "__main__":
    main()
