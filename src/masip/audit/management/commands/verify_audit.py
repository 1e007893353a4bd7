"""`manage.py verify_audit`: prove the audit log has not been altered since it was written."""

from argparse import ArgumentTypeError
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from masip.audit.models import audit_keyring
from masip.audit.verification import signing_key_usage, verify_chain


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise ArgumentTypeError(f"{text!r} is not a whole number of 1 or more")
    return int(text)


class Command(BaseCommand):
    help = "Walk the audit hash chain in order and report the first broken link, if any."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--expect-head",
            metavar="SEQ:HASH",
            help="A head recorded earlier (printed by a previous run): fail if the log no longer contains it.",
        )
        parser.add_argument(
            "--chunk-size",
            type=_positive,
            default=2000,
            help="Rows fetched at a time (default 2000); memory stays flat.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_chain(chunk_size=options["chunk_size"])
        if not report.intact:
            raise CommandError(
                f"Audit chain BROKEN at row {report.broken_at}: {report.problem}. "
                f"{report.rows_checked} rows before it are intact."
            )
        if options["expect_head"]:
            self._check_anchor(options["expect_head"])
        self.stdout.write(
            self.style.SUCCESS(f"Audit chain intact: {report.rows_checked} rows.")
            + f"\nHead: {report.head_seq}:{report.head_hash}"
            + "\nRecord the head outside masip; `verify_audit --expect-head` later proves no row up to it changed."
            + f"\n{self._key_usage()}"
        )

    def _key_usage(self) -> str:
        keyring, used = audit_keyring(), signing_key_usage()
        # The chain verified, so every key id in use is in the keyring; list them in its order.
        described = [
            f"{key_id} {used.get(key_id, 0):,} rows" + (" (signs new rows)" if key_id == keyring.primary_id else "")
            for key_id in keyring.keys
        ]
        return "Rows per key in MASIP_AUDIT_KEYS: " + ", ".join(described) + ". Keep every key that has rows."

    def _check_anchor(self, anchor: str) -> None:
        from masip.audit.models import AuditEvent

        seq_text, _, expected_hash = anchor.partition(":")
        if not seq_text.isdigit() or len(expected_hash) != 64:
            raise CommandError("--expect-head takes SEQ:HASH as printed by an earlier run of verify_audit.")
        stored = AuditEvent.objects.filter(seq=int(seq_text)).values_list("hash", flat=True).first()
        if stored != expected_hash:
            raise CommandError(
                f"Audit chain does not contain the recorded head {seq_text}: rows up to it were removed or rewritten."
            )
