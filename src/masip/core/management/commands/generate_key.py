"""`manage.py generate_key --id NAME`: print one fresh `id:key` pair for MASIP_KEYS."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from masip.core.keyring import KeyringError, generate_key_spec


class Command(BaseCommand):
    help = (
        "Print a new AES-256 key as 'id:key' for MASIP_KEYS. To rotate, put it first in MASIP_KEYS, "
        "keep the old keys after it, and run rotate_keys."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--id",
            dest="key_id",
            required=True,
            metavar="NAME",
            help="A name for the key (1-32 letters, digits, '-' or '_'), e.g. 2026-11.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            spec = generate_key_spec(options["key_id"])
        except KeyringError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(spec)
