from __future__ import annotations

from typing import Any

from masip.access.models import CaseRole
from masip.accounts.models import Role, Unit, User
from masip.cases.models import Case
from tests.factories import CaseFactory, TeamMemberFactory, member


def worker_on(case: Case, role: Role = Role.STALKING_ADVOCATE, case_role: CaseRole = CaseRole.ADVOCATE) -> User:
    """A member of the case's unit with `role`, on the case team."""
    user = member(role, unit=case.unit)
    TeamMemberFactory(case=case, user=user, role_on_case=case_role)
    return user


def case_with_worker(unit: Unit | None = None, **case_kwargs: Any) -> tuple[Case, User]:
    case = CaseFactory(**({"unit": unit} if unit else {}), **case_kwargs)
    return case, worker_on(case)
