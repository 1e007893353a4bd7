"""`manage.py reports_precompute [--unit CODE] [--period KIND ...]`: compute and store the
comparison's figures of every unit over the standard periods (the last 8 completed calendar
quarters, the current quarter to yesterday, the 12 months to yesterday), so that the cross-unit
comparison reads them instead of counting, and each unit's dashboard over its default period
(the last twelve months), so that its first reader of the day does not wait. Run it nightly;
safe to run any number of times (a row computed today at the current version is kept, others
are replaced)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from masip.accounts.models import Unit
from masip.reports.comparison import PERIOD_KINDS, figures_for, standard_periods
from masip.reports.forms import default_period
from masip.reports.selectors import stored_dashboard


class Command(BaseCommand):
    help = "Precompute the cross-unit comparison's figures over the standard periods. Idempotent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--unit", metavar="CODE", help="Only this unit (its code); every unit by default.")
        parser.add_argument(
            "--period",
            action="append",
            choices=PERIOD_KINDS,
            help="Only periods of this kind (repeat for several); all kinds by default.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        units = Unit.objects.order_by("name")
        if options["unit"]:
            units = units.filter(code=options["unit"])
            if not units:
                raise CommandError(f"No unit has the code {options['unit']!r}.")
        periods = standard_periods(kinds=options["period"] or PERIOD_KINDS)
        chosen = list(units)
        for period in periods:
            figures_for(chosen, period)
        for unit in chosen:
            stored_dashboard(unit=unit, period=default_period())
        self.stdout.write(
            f"Figures ready for {len(chosen)} unit(s) over {len(periods)} period(s), "
            "and each unit's dashboard over the last twelve months."
        )
