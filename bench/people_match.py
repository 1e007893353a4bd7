"""Benchmark `person_candidates`: latency and recall@20 with and without a date of birth.

Generates synthetic UK-like people in one unit of a scratch database (the worst case: every
person competes in the same blocks), of whom about a tenth carry a near-duplicate record, then
asks for candidates for typo'd probes whose true person is known, timing each call (the one
combined blocking query, the ranking and the Person objects returned). A third set of probes
names people who are not on record, to time the fallback tier that such probes reach. Writes a
Markdown table.

    .venv/bin/python bench/people_match.py --database sqlite --persons 1000000 --output bench/results/people_match.md
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/masip .venv/bin/python bench/people_match.py \
        --database postgresql --persons 1000000 --output bench/results/people_match.md --append

Loading is bulk: COPY on PostgreSQL, executemany in transactions of 100,000 rows on SQLite,
with the secondary indexes dropped during the load and rebuilt after it. The matching keys are
computed with the functions `Person.refresh_match_keys()` uses, and a sample is checked against
it before any timing. PostgreSQL uses a scratch database `<name of DATABASE_URL's
database>_bench_people` on the same server (the role needs CREATEDB); SQLite a file under
var/bench/. Both are dropped afterwards unless `--keep`; `--reuse` measures a kept one again
(the data are regenerated from the seed in memory, not reloaded). Not part of `make test`.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import json
import os
import platform
import random
import statistics
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
SCRATCH = ROOT / "var" / "bench"

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


_CUMULATIVE: dict[int, list[float]] = {}


def zipf_choice(rng: random.Random, items: list[str]) -> str:
    # Name frequencies fall off roughly as 1/rank; the offset keeps the commonest name near
    # the 1-2% that Smith has in England and Wales.
    cumulative = _CUMULATIVE.get(len(items))
    if cumulative is None:
        cumulative = _CUMULATIVE[len(items)] = list(itertools.accumulate(1 / (rank + 20) for rank in range(len(items))))
    return items[bisect.bisect(cumulative, rng.random() * cumulative[-1], 0, len(items) - 1)]


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


EPOCH = date(1940, 1, 1)


def random_birth(rng: random.Random) -> date:
    return EPOCH + timedelta(days=rng.randrange(365 * 65))


def people(persons: int, seed: int) -> Iterator[tuple[uuid.UUID, int, str, str, date]]:
    """(id, cluster, given, family, date of birth) of every record, originals first in each cluster.

    Deterministic for a seed (ids included), so a kept database can be measured again."""
    rng = random.Random(seed)  # noqa: S311 - reproducible synthetic data, not a secret
    originals = int(persons / 1.1)
    for n in range(originals):
        given, family = zipf_choice(rng, GIVEN), zipf_choice(rng, SURNAMES)
        born = random_birth(rng)
        yield uuid.UUID(int=rng.getrandbits(128), version=4), n, given.capitalize(), family.capitalize(), born
        if n < persons - originals:  # a tenth have a near-duplicate already on record
            g2, f2, b2, _ = variant(rng, given, family, born)
            yield uuid.UUID(int=rng.getrandbits(128), version=4), n, g2.capitalize(), f2.capitalize(), b2


def scratch_target(database: str) -> tuple[str, str]:
    """(admin URL, scratch URL) for PostgreSQL; (path, sqlite URL) for SQLite."""
    if database == "sqlite":
        path = SCRATCH / "people_match.sqlite3"
        return str(path), f"sqlite:///{path}"
    base = urlsplit(os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/masip")
    if not base.scheme.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database: the scratch database is made beside it.")
    name = base.path.lstrip("/") + "_bench_people"
    return urlunsplit(base._replace(path="/postgres")), urlunsplit(base._replace(path="/" + name))


def setup(database: str, reuse: bool) -> tuple[str, str]:
    os.environ["DJANGO_SETTINGS_MODULE"] = "masip.settings.test"
    sys.path.insert(0, str(ROOT / "src"))
    admin, url = scratch_target(database)
    os.environ["DATABASE_URL"] = url
    if reuse:
        return admin, url
    if database == "sqlite":
        SCRATCH.mkdir(parents=True, exist_ok=True)
        Path(admin).unlink(missing_ok=True)
        return admin, url
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin, url


def teardown(database: str, admin: str, url: str) -> None:
    from django.db import connection

    connection.close()
    if database == "sqlite":
        Path(admin).unlink(missing_ok=True)
        for suffix in ("-wal", "-shm"):
            Path(admin + suffix).unlink(missing_ok=True)
        return
    import psycopg

    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{urlsplit(url).path.lstrip("/")}"')


@cache
def _name_keys(given: str, family: str) -> tuple[str, str, str, str]:
    from masip.people.keys import normalise_name, phonetic

    return normalise_name(given), normalise_name(family), phonetic(given), phonetic(family)


def load(persons: int, seed: int, unit: Any) -> tuple[dict[uuid.UUID, int], float]:
    """Bulk-load the synthetic persons with the matching keys the model computes."""
    from django.db import connection, transaction

    from masip.people.models import Person

    fields = list(Person._meta.concrete_fields)
    columns = [f.column for f in fields]
    now = datetime.now(UTC)
    constant: dict[str, Any] = {}
    for f in fields:  # every column the generator does not set keeps the model's default, as saved
        if f.has_default() or f.null or f.blank:
            value = f.get_default()
            constant[f.attname] = f.get_db_prep_save(value, connection) if value not in (None, "") else value
    set_here = {"unit_id": unit.pk, "created_at": now, "updated_at": now, "version": 1}
    for f in fields:
        if f.attname in set_here:
            constant[f.attname] = f.get_db_prep_save(set_here[f.attname], connection)
    constant.update(created_by_id=None, pnc_id_index="", nhs_number_index="")
    varying = (
        "id",
        "given_name",
        "family_name",
        "date_of_birth",
        "match_given",
        "match_family",
        "phonetic_given",
        "phonetic_family",
    )
    missing = {f.attname for f in fields} - set(constant) - set(varying)
    if missing:
        sys.exit(f"The generator does not know how to fill {sorted(missing)}: update bench/people_match.py.")
    slots = [(varying.index(f.attname), None) if f.attname in varying else (-1, constant[f.attname]) for f in fields]
    sqlite = connection.vendor == "sqlite"

    def rows() -> Iterator[tuple[Any, ...]]:
        for person_id, n, given, family, born in people(persons, seed):
            cluster[person_id] = n
            values = (
                person_id.hex if sqlite else person_id,
                given,
                family,
                born.isoformat() if sqlite else born,
                *_name_keys(given, family),
            )
            yield tuple(values[i] if i >= 0 else const for i, const in slots)

    cluster: dict[uuid.UUID, int] = {}
    table = Person._meta.db_table
    started = time.perf_counter()
    with connection.cursor() as cursor:
        if sqlite:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL",
                [table],
            )
            indexes = cursor.fetchall()
            for name, _ in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
            insert = f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({", ".join("?" * len(columns))})'  # noqa: S608
            stream = rows()
            raw = connection.connection
            while batch := list(itertools.islice(stream, 100_000)):
                with transaction.atomic():
                    raw.executemany(insert, batch)
            for _, sql in indexes:
                cursor.execute(sql)
            cursor.execute("ANALYZE")
        else:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT LIKE %s",
                [table, "%pkey"],
            )
            indexes = cursor.fetchall()
            for name, _ in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
            with cursor.cursor.copy(f'COPY "{table}" ({", ".join(columns)}) FROM STDIN') as copy:
                for row in rows():
                    copy.write_row(row)
            for _, sql in indexes:
                cursor.execute(sql)
    if not sqlite:
        connection.connection.autocommit = True  # VACUUM cannot run in a transaction
        with connection.cursor() as cursor:
            cursor.execute(f'VACUUM (ANALYZE) "{table}"')
    return cluster, time.perf_counter() - started


def check_keys(sample: int = 1000) -> None:
    """Stop unless the loaded keys are exactly what Person.refresh_match_keys() computes."""
    from masip.people.models import Person

    for person in Person.unscoped.order_by("?")[:sample]:
        stored = tuple(getattr(person, name) for name in Person.KEY_FIELDS)
        person.refresh_match_keys()
        if stored != tuple(getattr(person, name) for name in Person.KEY_FIELDS):
            sys.exit(f"Loaded matching keys differ from the model's for {person.pk}: fix the generator.")


def run(database: str, persons: int, probes: int, seed: int, keep: bool, reuse: bool, repeat: int) -> dict[str, Any]:
    admin, url = setup(database, reuse)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from masip.accounts.models import Agency, AgencyKind, Unit
    from masip.people.matching import PersonDetails, person_candidates
    from masip.people.models import Person

    call_command("migrate", verbosity=0)
    unit = Unit.objects.filter(code="BENCH").first()
    if reuse and unit and Person.unscoped.filter(unit=unit).count() == persons:
        started = time.perf_counter()
        cluster = {person_id: n for person_id, n, *_ in people(persons, seed)}
        loaded = time.perf_counter() - started
        how = f"reused a kept database (regenerated in memory in {loaded:.0f} s)"
    else:
        if reuse:
            sys.exit("No kept database with that many persons: run without --reuse first.")
        agency = Agency.objects.create(name="Bench Police", kind=AgencyKind.POLICE)
        unit = Unit.objects.create(name="Bench Unit", code="BENCH", lead_agency=agency)
        cluster, loaded = load(persons, seed, unit)
        how = f"generation and bulk load (indexes rebuilt, ANALYZE) took {loaded:.0f} s"
    check_keys()
    if probes == 0:
        print(f"{how}; kept for --reuse.")
        return {}

    truth: dict[int, tuple[str, str, date]] = {}
    names: Counter[tuple[str, str]] = Counter()
    for _person_id, n, given, family, born in people(persons, seed):
        truth.setdefault(n, (given.lower(), family.lower(), born))
        names[given.lower(), family.lower()] += 1
    rng = random.Random(seed + 1)  # noqa: S311 - reproducible probes
    probe_rows = []
    kinds: dict[str, int] = {}
    probe_kind: dict[int, str] = {}
    for n in rng.sample(range(len(truth)), probes):
        given, family, born = truth[n]
        g, f, b, kind = variant(rng, given, family, born)
        probe_rows.append((n, g.capitalize(), f.capitalize(), b))
        kinds[kind] = kinds.get(kind, 0) + 1
        probe_kind[n] = kind
    # By name alone, a true person who shares their exact name with more than 20 others cannot
    # be told apart from them: the share of such probes bounds name-only recall from above.
    crowded = sum(names[truth[n][0], truth[n][1]] > 21 for n, *_ in probe_rows) / len(probe_rows)
    # People not on record: a given and family name drawn independently, a random birth date.
    new_rows = [
        (
            -1,
            zipf_choice(rng, GIVEN).capitalize(),
            typo(rng, zipf_choice(rng, SURNAMES)).capitalize(),
            random_birth(rng),
        )
        for _ in range(probes)
    ]

    results: dict[str, Any] = {
        "probes": len(probe_rows),
        "persons": Person.unscoped.count(),
        "how": how,
        "kinds": kinds,
        "crowded": crowded,
        "repeat": repeat,
        "load": os.getloadavg(),
    }
    sets = (
        ("with date of birth", probe_rows, True),
        ("name only", probe_rows, False),
        ("not on record, with date of birth", new_rows, True),
        ("not on record, name only", new_rows, False),
    )
    for label, rows, with_dob in sets:
        # Warm the caches once, as a running server would be.
        for _n, g, f, b in rows[:100]:
            person_candidates(
                unit=unit, details=PersonDetails(given_name=g, family_name=f, date_of_birth=b if with_dob else None)
            )
        passes, found, missed, cpu = [], 0, Counter[str](), []
        for run_number in range(repeat):
            times = []
            for n, g, f, b in rows:
                details = PersonDetails(given_name=g, family_name=f, date_of_birth=b if with_dob else None)
                c0, t0 = time.thread_time(), time.perf_counter()
                candidates = person_candidates(unit=unit, details=details)
                times.append((time.perf_counter() - t0) * 1000)
                cpu.append((time.thread_time() - c0) * 1000)
                if run_number == 0 and n >= 0:
                    if any(cluster.get(c.person.id) == n for c in candidates):
                        found += 1
                    else:
                        missed[probe_kind[n]] += 1
            q = statistics.quantiles(times, n=100)
            passes.append((q[49], q[94], q[98]))
        results[label] = {
            "p50": statistics.median(p[0] for p in passes),
            "p95": statistics.median(p[1] for p in passes),
            "p99": statistics.median(p[2] for p in passes),
            "p95_range": (min(p[1] for p in passes), max(p[1] for p in passes)),
            "cpu_p50": statistics.median(cpu),
            "recall": found / len(rows) if rows[0][0] >= 0 else None,
            "missed": dict(missed),
        }
    results["load_after"] = os.getloadavg()
    if database == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            results["server"] = cursor.fetchone()[0]
        results["plans"] = explain(unit, probe_rows[:2], new_rows[:1])
    if not keep:
        teardown(database, admin, url)
    return results


def explain(unit: Any, dated: list[tuple[int, str, str, date]], new: list[tuple[int, str, str, date]]) -> list[str]:
    """EXPLAIN ANALYZE of the bounded tiers for a few probes with a date of birth, and of the
    fallback tier for a name alone, to commit beside the timings."""
    from django.db import connection

    from masip.people.matching import PersonDetails, blocking_sql, fallback_sql

    queries = [
        (f"bounded tiers: {g} {f} {b}", *blocking_sql(unit=unit, details=PersonDetails(g, f, b)))
        for _n, g, f, b in dated
    ]
    queries += [
        (f"fallback tier, name only: {g} {f}", *fallback_sql(unit=unit, details=PersonDetails(g, f)))
        for _n, g, f, _b in new
    ]
    plans = []
    for title, sql, params in queries:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, params)
            plans.append(f"-- {title}\n" + "\n".join(line for (line,) in cursor.fetchall()))
    return plans


FLOORS = {  # PERFORMANCE.md, bounded tiers, p95 ms, and the targets
    ("sqlite", "with date of birth"): (1.5, 20.0),
    ("postgresql", "with date of birth"): (0.85, 5.0),
    ("postgresql", "name only"): (None, 50.0),
    ("sqlite", "name only"): (None, 50.0),
}


def machine() -> str:
    try:
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        model = platform.processor() or platform.machine()
    return f"{model}, {os.cpu_count()} CPUs, Python {platform.python_version()}"


def report(database: str, results: dict[str, Any], command: str) -> str:
    server = f", PostgreSQL {results['server']}" if results.get("server") else ""
    load_before, load_after = results["load"], results["load_after"]
    lines = [
        f"## {database}, {results['persons']:,} persons in one unit, {results['probes']:,} probes",
        "",
        f"Command: `{command}`  ",
        f"Machine: {machine()}{server}; {results['how']}.  ",
        f"Load average (1/5/15 min) before timing {load_before[0]:.2f} / {load_before[1]:.2f} / {load_before[2]:.2f}, "
        f"after {load_after[0]:.2f} / {load_after[1]:.2f} / {load_after[2]:.2f}.  ",
        f"Times: medians over {results['repeat']} passes of every probe (each pass's p50, p95 and p99; "
        "the range of the passes' p95 in brackets); recall from the first pass; client CPU is the "
        "benchmark process's own thread time per call (Python, and SQLite's engine, which runs in it; "
        "not PostgreSQL's server time).  ",
        f"Probe differences: {', '.join(f'{k} {v}' for k, v in sorted(results['kinds'].items()))}.  ",
        f"Name-only ceiling: {results['crowded']:.1%} of the true persons share their exact name with more than "
        "20 others, so by name alone they cannot all reach a top 20.",
        "",
        "| probe | p50 ms | p95 ms | p99 ms | true person in top 20 "
        "| p95 / PERFORMANCE.md raw-SQL floor | issue target (p95) | client CPU p50 ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label in ("with date of birth", "name only", "not on record, with date of birth", "not on record, name only"):
        r = results[label]
        floor, target = FLOORS.get((database, label), (None, None))
        ratio = f"{r['p95'] / floor:.1f}x" if floor else "n/a"
        recall = f"{r['recall']:.1%}" if r["recall"] is not None else "n/a"
        low, high = r["p95_range"]
        lines.append(
            f"| {label} | {r['p50']:.2f} | {r['p95']:.2f} ({low:.2f}-{high:.2f}) | {r['p99']:.2f} | {recall} "
            f"| {ratio} | {f'{target:g} ms' if target else 'none'} | {r['cpu_p50']:.2f} |"
        )
    for label in ("with date of birth", "name only"):
        missed = results[label]["missed"]
        if missed:
            lines.append("")
            lines.append(
                f"Missed {label}, by probe difference: {', '.join(f'{k} {v}' for k, v in sorted(missed.items()))}."
            )
    if results.get("plans"):
        lines += ["", "<details><summary>EXPLAIN ANALYZE of the queries</summary>", "", "```"]
        lines += results["plans"]
        lines += ["```", "", "</details>"]
    return "\n".join(lines) + "\n\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--probes", type=int, default=1000, help="0: load the data, keep it, measure nothing")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3, help="timing passes over the probes; medians reported")
    parser.add_argument("--keep", action="store_true", help="leave the scratch database for --reuse")
    parser.add_argument("--reuse", action="store_true", help="measure a kept scratch database again")
    parser.add_argument("--json", type=Path, help="also write the raw results as JSON")
    parser.add_argument("--output", type=Path)
    parser.add_argument("--append", action="store_true")
    args = parser.parse_args()
    keep = args.keep or args.probes == 0
    results = run(args.database, args.persons, args.probes, args.seed, keep, args.reuse, args.repeat)
    if not results:
        return
    text = report(args.database, results, ".venv/bin/python " + " ".join(["bench/people_match.py", *sys.argv[1:]]))
    print(text)
    if args.json:
        args.json.write_text(json.dumps({k: v for k, v in results.items() if k != "plans"}, indent=2, default=str))
    if args.output:
        mode = "a" if args.append else "w"
        with args.output.open(mode) as handle:
            if not args.append:
                handle.write("# person_candidates: latency and recall\n\nWritten by `bench/people_match.py`.\n\n")
            handle.write(text)


if __name__ == "__main__":
    main()
