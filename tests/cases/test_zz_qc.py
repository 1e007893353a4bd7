import pytest
from tests.cases.test_overview import _page
from tests.cases.overview_case import busy_case
pytestmark = pytest.mark.django_db
@pytest.mark.parametrize("role", ["investigator","clinician","advocate"])
def test_count(role):
    n, html, sql = _page(busy_case(entries=50, documents=5), role)
    print("\nCOUNT", role, n)
    for s in sql: print("  ", s[:160])
