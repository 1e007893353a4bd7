"""Each role finds its way to the intake pages from the header navigation."""

from __future__ import annotations

import pytest
from django.urls import reverse

from masip.accounts.models import Role
from tests.conftest import verified_client
from tests.factories import member

pytestmark = pytest.mark.django_db


def _links(role: Role) -> set[str]:
    html = verified_client(member(role)).get(reverse("home")).content.decode()
    return {
        name
        for name in ("referrals:queue", "referrals:import_list", "referrals:mine", "referrals:deadlines")
        if reverse(name) in html
    }


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.UNIT_MANAGER, {"referrals:queue", "referrals:import_list", "referrals:mine", "referrals:deadlines"}),
        (Role.POLICE_INVESTIGATOR, {"referrals:queue", "referrals:import_list", "referrals:mine"}),
        (Role.OUTREACH_WORKER, {"referrals:mine"}),
        (Role.PARTNER_REFERRER, {"referrals:mine"}),
        (Role.ANALYST, set()),
    ],
)
def test_the_header_offers_the_intake_pages_each_role_may_use(role, expected):
    assert _links(role) == expected
