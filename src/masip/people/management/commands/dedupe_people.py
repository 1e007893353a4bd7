"""`manage.py dedupe_people`: list the rows of a legacy people file that are probably the same person."""

from __future__ import annotations

import time
from argparse import ArgumentTypeError
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from masip.people.dedupe import COLUMNS, DEFAULT_THRESHOLD, FIELDS, DedupeInputError, dedupe, read_people, write_pairs
from masip.people.dedupe import decode_people_file as decode


def _probability(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise ArgumentTypeError(f"{text!r} is not a probability between 0 and 1")
    return value


class Command(BaseCommand):
    help = (
        "Find rows of a people CSV that are probably the same person, for migrating legacy records. "
        f"Input columns: {','.join(COLUMNS)} (any may be blank). Output: id_a,id_b,score,reason, "
        "highest score first. Works on the file alone; nothing is written to the database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--input", required=True, type=Path, help="The people CSV file (UTF-8).")
        parser.add_argument("--output", required=True, type=Path, help="Where to write the candidate pairs.")
        parser.add_argument(
            "--threshold",
            type=_probability,
            default=DEFAULT_THRESHOLD,
            help=f"Lowest match probability listed, 0 to 1 (default {DEFAULT_THRESHOLD}). "
            "Lower it to review more doubtful pairs.",
        )
        parser.add_argument("--force", action="store_true", help="Overwrite the output file if it exists.")

    def handle(self, *args: Any, **options: Any) -> None:
        source: Path = options["input"]
        target: Path = options["output"]
        if not source.is_file():
            raise CommandError(f"There is no file {source}: check the --input path.")
        if target.exists() and not options["force"]:
            raise CommandError(f"{target} already exists: choose another --output, or add --force to replace it.")
        if target.resolve() == source.resolve():
            raise CommandError("--output must not be the input file.")
        started = time.perf_counter()
        try:
            records, bad = read_people(decode(source.read_bytes()))
        except DedupeInputError as error:
            raise CommandError(f"{source}: {error}") from None
        for row in bad:
            self.stderr.write(f"{source.name} line {row.line}: {row.message}")
        skipped = sum(not row.kept for row in bad)
        verbose = options["verbosity"] >= 2
        result = dedupe(records, threshold=options["threshold"], progress=self.stdout.write if verbose else None)
        partial = target.with_name(target.name + ".partial")
        with partial.open("w", encoding="utf-8", newline="") as handle:
            written = write_pairs(result.pairs, handle)
        partial.replace(target)  # a half-written file never carries the output's name
        if verbose:
            self._describe(result.model)
        if result.skipped_blocks:
            self.stderr.write(
                f"{result.skipped_blocks} blocking values were shared by too many rows to compare them all "
                "(pairs sharing another key were still compared)."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Read {len(records):,} people ({skipped:,} rows skipped); compared {result.compared:,} pairs; "
                f"wrote {written:,} pairs with a score of {options['threshold']:g} or more to {target} "
                f"in {time.perf_counter() - started:.1f} s."
            )
        )

    def _describe(self, model: Any) -> None:
        self.stdout.write(f"Prior probability that two rows are the same person: {model.prior:.3g}")
        for f, name in enumerate(FIELDS):
            weights = ", ".join(f"{level}: {model.weight(f, level):+.1f}" for level in range(1, len(model.m[f])))
            self.stdout.write(f"  {name} weights (log2, by agreement level): {weights}")
