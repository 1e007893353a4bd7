"""`manage.py apply_work_rules`: the daily run of the task rules. Safe to run any number of times."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from masip.work.services import work_rules_apply_all


class Command(BaseCommand):
    help = (
        "Give every case that is not closed its next review task, due by its current risk level, and "
        "recompute open reviews whose case changed risk level. Running it twice changes nothing more."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        cases, created, recomputed = work_rules_apply_all()
        self.stdout.write(f"Checked {cases} open cases: {created} tasks created, {recomputed} due dates recomputed.")
