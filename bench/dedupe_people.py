"""How accurate, fast and lean is `manage.py dedupe_people`, next to Splink on the same files?

    .venv/bin/python bench/dedupe_people.py --rows 10000 100000 --runs 3 --output bench/results/dedupe_people.md

For each size, writes a synthetic people file with known duplicates (bench/synthetic_people.py)
under var/bench/dedupe/, then runs, each `--runs` times in a fresh process:

- masip: `.venv/bin/python manage.py dedupe_people --input people.csv --output pairs.csv --force`
  (the real command, Django start-up included);
- Splink 5 with its DuckDB backend, in its own virtualenv (never masip's), through
  `--splink-python` (default /tmp/splink-venv/bin/python) running this same file with
  `--splink-worker`: it reads the same CSV, trains the model as Splink's documentation does (u by
  random sampling of 1e7 pairs, m by EM on two blocking rules, the prior from a deterministic
  rule), with a forename-surname comparison that handles swapped names and term frequencies,
  and writes its pairs at or above the same threshold. Set it up once with:

      python3.11 -m venv /tmp/splink-venv && /tmp/splink-venv/bin/pip install splink

Each run's wall time and peak RSS (os.wait4's ru_maxrss of the child) are recorded; precision,
recall and F1 are computed against the truth file over all pairs of records of the same person.
The report gives medians and the load average before and after.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import statistics
import subprocess
import sys
import time
from itertools import combinations
from pathlib import Path
from typing import cast

ROOT = Path(__file__).resolve().parent.parent
SCRATCH = ROOT / "var" / "bench" / "dedupe"
THRESHOLD = 0.5


# --- Splink side: runs under the Splink virtualenv, imports nothing from masip. ----------------


def splink_worker(input_path: str, output_path: str, threshold: float) -> None:
    """De-duplicate `input_path` with Splink (DuckDB) as its documentation recommends."""
    import duckdb
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    connection = duckdb.connect()
    # The same normalisation masip applies: case, spaces, postcode without spaces, the date
    # formats the synthetic file uses (ISO, day first, '7 Mar 1984').
    connection.execute(
        f"""
        create table people as
        select id as unique_id,
          nullif(regexp_replace(lower(trim(given_name)), '[^a-z]', '', 'g'), '') as given_name,
          nullif(regexp_replace(lower(trim(surname)), '[^a-z]', '', 'g'), '') as surname,
          coalesce(try_strptime(date_of_birth, '%Y-%m-%d'), try_strptime(date_of_birth, '%d/%m/%Y'),
                   try_strptime(date_of_birth, '%d %b %Y'))::date as date_of_birth,
          nullif(lower(substr(trim(sex), 1, 1)), '') as sex,
          nullif(lower(trim(address_1)), '') as address_1,
          nullif(lower(trim(town)), '') as town,
          nullif(upper(replace(postcode, ' ', '')), '') as postcode
        from read_csv('{input_path}', all_varchar = true, header = true)
        """  # noqa: S608 - the path is the benchmark's own scratch file
    )
    connection.execute(
        """
        create table people_ready as
        select *, year(date_of_birth) as birth_year,
          case when length(postcode) >= 5 then left(postcode, length(postcode) - 3) else postcode end as outward,
          concat_ws(' ', given_name, surname) as full_name
        from people
        """
    )
    db_api = DuckDBAPI(connection=connection)
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.ForenameSurnameComparison(
                "given_name", "surname", forename_surname_concat_col_name="full_name"
            ).configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=False),
            # Postcode only: with the first address line and the town as further comparisons, the
            # three agree together for everyone in a household and Splink counted them three
            # times (F1 0.32 at 10k rows with all three, 0.43 with postcode and line, 0.79 with postcode alone).
            cl.PostcodeComparison("postcode"),
            cl.ExactMatch("sex"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("date_of_birth"),
            block_on("given_name", "surname"),
            "l.given_name = r.surname and l.surname = r.given_name",
            block_on("postcode"),
            block_on("surname", "birth_year"),
            block_on("given_name", "birth_year"),
            block_on("address_1", "town"),
            block_on("substr(given_name, 1, 1)", "substr(surname, 1, 1)", "month(date_of_birth)", "day(date_of_birth)"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    table = db_api.register("people_ready")
    linker = Linker(table, settings, log_level="WARNING")
    linker.training.estimate_probability_two_random_records_match(
        [block_on("given_name", "surname", "date_of_birth")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e7)  # Splink warns 1e6 is too few
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("given_name", "surname"))
    predictions = linker.inference.predict(threshold_match_probability=threshold)
    rows = predictions.as_duckdbpyrelation().select("unique_id_l, unique_id_r, match_probability").fetchall()
    with open(output_path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id_a", "id_b", "score"])
        writer.writerows(rows)


# --- The harness: runs under masip's virtualenv. ------------------------------------------------


def timed(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one child process; stops if it fails."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # noqa: S603
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    errors = process.stderr.read().decode() if process.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(command)} failed:\n{errors[-3000:]}")
    return elapsed, usage.ru_maxrss / 1024


def true_pairs(truth_path: Path) -> set[tuple[str, str]]:
    people: dict[str, list[str]] = {}
    with truth_path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            people.setdefault(row["person"], []).append(row["id"])
    return {tuple(sorted(pair)) for ids in people.values() for pair in combinations(ids, 2)}  # type: ignore[misc]


def accuracy(pairs_path: Path, truth: set[tuple[str, str]]) -> dict[str, float]:
    with pairs_path.open(encoding="utf-8") as handle:
        found = {tuple(sorted((row["id_a"], row["id_b"]))) for row in csv.DictReader(handle)}
    hits = len(found & truth)
    precision = hits / len(found) if found else 0.0
    recall = hits / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"pairs": len(found), "precision": precision, "recall": recall, "f1": f1}


def measure(name: str, command: list[str], output: Path, truth: set[tuple[str, str]], runs: int) -> dict[str, object]:
    times, peaks = [], []
    for _ in range(runs):
        output.unlink(missing_ok=True)
        elapsed, peak = timed(command)
        times.append(elapsed)
        peaks.append(peak)
        print(f"  {name}: {elapsed:.1f} s, {peak:.0f} MiB", flush=True)
    return {"name": name, "times": times, "peaks": peaks, **accuracy(output, truth)}


def load() -> str:
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--splink-python", default="/tmp/splink-venv/bin/python")  # noqa: S108 - set up as documented
    parser.add_argument("--no-splink", action="store_true")
    parser.add_argument("--output", type=Path)
    parser.add_argument("--splink-worker", nargs=3, metavar=("INPUT", "OUTPUT", "THRESHOLD"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.splink_worker:
        splink_worker(args.splink_worker[0], args.splink_worker[1], float(args.splink_worker[2]))
        return

    sys.path.insert(0, str(ROOT / "bench"))
    from synthetic_people import write

    SCRATCH.mkdir(parents=True, exist_ok=True)
    load_before = load()
    sections = []
    for rows in args.rows:
        people, truth_path = SCRATCH / f"people_{rows}.csv", SCRATCH / f"truth_{rows}.csv"
        write(rows, args.seed, people, truth_path)
        truth = true_pairs(truth_path)
        print(f"{rows:,} rows, {len(truth):,} true pairs", flush=True)
        masip_out, splink_out = SCRATCH / f"masip_{rows}.csv", SCRATCH / f"splink_{rows}.csv"
        results = [
            measure(
                "masip dedupe_people",
                [
                    *(sys.executable, "manage.py", "dedupe_people", "--input", str(people)),
                    *("--output", str(masip_out), "--threshold", str(THRESHOLD), "--force"),
                ],
                masip_out,
                truth,
                args.runs,
            )
        ]
        if not args.no_splink:
            results.append(
                measure(
                    "Splink 5 (DuckDB)",
                    [
                        *(args.splink_python, str(Path(__file__).resolve()), "--splink-worker"),
                        *(str(people), str(splink_out), str(THRESHOLD)),
                    ],
                    splink_out,
                    truth,
                    args.runs,
                )
            )
        sections.append(section(rows, len(truth), results))
    text = report(sections, load_before, load(), args)
    print(text)
    if args.output:
        args.output.write_text(text, encoding="utf-8")


def section(rows: int, true_count: int, results: list[dict[str, object]]) -> str:
    lines = [
        f"## {rows:,} rows, {true_count:,} true duplicate pairs",
        "",
        "| tool | precision | recall | F1 | pairs found | median wall s (runs) | median peak RSS MiB |",
        "|---|---:|---:|---:|---:|---|---:|",
    ]
    for r in results:
        times = cast(list[float], r["times"])
        peaks = cast(list[float], r["peaks"])
        runs = ", ".join(f"{t:.1f}" for t in times)
        lines.append(
            f"| {r['name']} | {r['precision']:.4f} | {r['recall']:.4f} | {r['f1']:.4f} | {r['pairs']:,} "
            f"| {statistics.median(times):.1f} ({runs}) | {statistics.median(peaks):.0f} |"
        )
    return "\n".join(lines) + "\n"


def report(sections: list[str], before: str, after: str, args: argparse.Namespace) -> str:
    command = " ".join([".venv/bin/python bench/dedupe_people.py", *sys.argv[1:]])
    head = [
        "# dedupe_people: accuracy, time and memory, next to Splink",
        "",
        "Written by `bench/dedupe_people.py` (see its docstring and bench/README.md).",
        "",
        f"Command: `{command}`  ",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Linux {platform.release()}, "
        f"Python {platform.python_version()}; load average (1/5/15 min) {before} before, {after} after "
        "(the machine is shared with other jobs: times are noisy).  ",
        f"Both tools output pairs at match probability >= {THRESHOLD}; accuracy is over all pairs of rows of "
        "the same person; wall time is the whole process (interpreter, imports, reading, writing).",
        "",
    ]
    return "\n".join(head) + "\n".join(sections)


if __name__ == "__main__":
    main()
