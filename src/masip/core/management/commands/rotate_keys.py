"""`manage.py rotate_keys`: move every encrypted value onto the primary key of MASIP_KEYS."""

from argparse import ArgumentTypeError
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from masip.core.keyring import KeyringError
from masip.core.rotation import RotationError, RotationResult, rotate_keys, values_left_on_old_keys


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise ArgumentTypeError(f"{text!r} is not a whole number of 1 or more")
    return int(text)


class Command(BaseCommand):
    help = (
        "Re-encrypt, in batches, every stored value, and then every evidence file, that is not under the first "
        "(primary) key of MASIP_KEYS. "
        "Safe to stop and run again: it carries on where it stopped. Remove an old key from MASIP_KEYS only "
        "once this reports 0 values left on old keys."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=_positive, default=500, help="Rows per transaction (default 500).")
        parser.add_argument("--dry-run", action="store_true", help="Check and count; write nothing.")
        parser.add_argument(
            "--max-batches", type=_positive, default=None, help="Stop after this many batches; run again to go on."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = options["dry_run"]
        try:
            result = rotate_keys(
                batch_size=options["batch_size"],
                dry_run=dry_run,
                max_batches=options["max_batches"],
                progress=self.stdout.write,
            )
        except (RotationError, KeyringError) as exc:
            raise CommandError(str(exc)) from exc
        for failure in result.file_failures:
            self.stderr.write(failure)
        if dry_run:
            self.stdout.write(
                f"Dry run, nothing written: {result.re_encrypted} values and {result.files_re_encrypted} evidence "
                f"files would be re-encrypted onto key {result.primary_key_id!r}."
            )
        else:
            self._summary(result)
        if result.file_failures:
            raise CommandError(
                f"{len(result.file_failures)} files could not be re-encrypted and stay on their old keys (listed "
                "above): keep those keys in MASIP_KEYS."
            )

    def _summary(self, result: RotationResult) -> None:
        summary = (
            f"{result.re_encrypted} values and {result.files_re_encrypted} evidence files re-encrypted, "
            f"{result.left_on_old_keys} left on old keys"
        )
        if result.left_on_old_keys:
            for label, count in values_left_on_old_keys().items():
                self.stdout.write(f"  {label}: {count} left")
            self.stdout.write(self.style.WARNING(f"{summary}. Run rotate_keys again to carry on."))
        else:
            self.stdout.write(
                self.style.SUCCESS(f"{summary}.")
                + f"\nEvery value and file is under key {result.primary_key_id!r}; older keys can now leave "
                "MASIP_KEYS."
            )
