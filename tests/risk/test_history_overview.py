"""The case overview shows the current risk, when it was last assessed and the next
re-assessment within its query budget."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from masip.cases.models import Case
from masip.work.models import Task, TaskKind
from tests.cases.overview_case import busy_case
from tests.conftest import verified_client

pytestmark = pytest.mark.django_db

MAX_QUERIES = 15  # as tests/cases/test_overview.py


def _queries(client, case) -> tuple[int, str]:
    url = reverse("cases:detail", kwargs={"case_id": case.pk})
    assert client.get(url).status_code == 200  # warm-up: the session's last-seen write
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return len(queries.captured_queries), response.content.decode()


@pytest.mark.parametrize("role", ["investigator", "clinician", "advocate"])
def test_the_risk_block_costs_no_extra_query(role):
    plain = busy_case(entries=50, documents=5)
    assessed = busy_case(entries=50, documents=5)
    last = timezone.localdate() - timedelta(days=12)
    Case.unscoped.filter(pk=assessed.case.pk).update(risk_assessed_on=last)
    Task.unscoped.create(
        case=assessed.case,
        title="Re-assess risk (high risk)",
        due_date=last + timedelta(days=28),
        kind=TaskKind.REASSESSMENT,
        rule="reassess:high",
        period_start=last,
        owner=assessed.investigator,
    )
    before, _ = _queries(verified_client(getattr(plain, role)), plain.case)
    after, html = _queries(verified_client(getattr(assessed, role)), assessed.case)
    assert after <= MAX_QUERIES
    assert after == before
    assert f'last assessed <time datetime="{last.isoformat()}">{last:%-d %B %Y}</time>' in html
    block = html[html.index('id="next-reassessment"') :][:600]
    assert "Re-assess risk (high risk)" in block
    assert f"{last + timedelta(days=28):%-d %B %Y}" in block
