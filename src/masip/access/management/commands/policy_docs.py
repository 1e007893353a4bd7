"""`manage.py policy_docs [--write]`: keep the policy tables in the documents equal to the code."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from masip.access.docs import POLICY_DOCUMENTS, REGENERATE, stale_documents, with_policy_block


class Command(BaseCommand):
    help = (
        f"Check that the policy tables in {' and '.join(POLICY_DOCUMENTS)} match masip.access.policy; "
        "with --write, regenerate them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--write", action="store_true", help="Rewrite the tables between the policy markers.")

    def handle(self, *args: Any, **options: Any) -> None:
        base_dir = settings.BASE_DIR
        stale = stale_documents(base_dir)
        if not stale:
            self.stdout.write("The policy tables in the documents match the code.")
            return
        if not options["write"]:
            raise CommandError(f"The policy tables in {', '.join(stale)} differ from the code: run {REGENERATE}.")
        for name in stale:
            path = base_dir / name
            if not path.exists():
                raise CommandError(f"{name} does not exist: create it with the policy markers, then run this again.")
            try:
                text = with_policy_block(path.read_text(encoding="utf-8"))
            except ValueError as missing:
                raise CommandError(f"{name}: {missing}") from missing
            path.write_text(text, encoding="utf-8")
            self.stdout.write(f"Regenerated the policy tables in {name}.")
