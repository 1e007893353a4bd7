"""Background tasks of the timeline app, run by the django-tasks worker (`manage.py db_worker`).

Tasks take ids, never content: the queue table holds no personal data.
"""

from __future__ import annotations

from django_tasks import task

from masip.accounts.models import Unit
from masip.timeline.redflags import redflags_evaluate_unit


@task()
def evaluate_unit_red_flags(unit_id: int) -> int:
    """The nightly red-flag run over one unit's open cases: the number of new alerts."""
    _, created = redflags_evaluate_unit(unit=Unit.objects.get(pk=unit_id))
    return created
