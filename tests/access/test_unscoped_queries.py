"""Views, forms, serializers and template tags never query case data except through
`visible_to` (via selectors): a static check that fails on any direct manager use."""

import re
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth.models import AnonymousUser

from masip.access.managers import ScopeRequiredError
from masip.cases.models import Case, CaseNote, CaseParticipant
from masip.core.models import CaseDataModel
from masip.people.models import Person
from masip.referrals.models import Referral
from tests.factories import CaseFactory

SRC = Path(__file__).resolve().parents[2] / "src" / "masip"
# Modules that render or parse; they must go through selectors/services, which scope.
GUARDED = ("views.py", "forms.py", "serializers.py", "urls.py", "context_processors.py")
# Split modules follow the same names: screening_views.py, referrer_forms.py, urls_import.py,
# views_vcop.py, forms_agenda.py.
GUARDED_SUFFIXES = ("_views.py", "_forms.py", "_serializers.py")
GUARDED_PREFIXES = ("urls_", "views_", "forms_", "serializers_")
GUARDED_DIRS = ("templatetags", "api")


def case_data_models() -> list[str]:
    names = []
    for model in apps.get_models():
        if issubclass(model, CaseDataModel) or hasattr(model._default_manager, "visible_to"):
            names.append(model.__name__)
    return sorted(names)


def guarded_files() -> list[Path]:
    files = [
        p
        for p in SRC.rglob("*.py")
        if p.name in GUARDED
        or p.name.endswith(GUARDED_SUFFIXES)
        or p.name.startswith(GUARDED_PREFIXES)
        or any(d in p.relative_to(SRC).parts for d in GUARDED_DIRS)
    ]
    return [p for p in files if "migrations" not in p.relative_to(SRC).parts]


def test_split_modules_are_guarded():
    # Apps split per part (interventions, panel) name their modules views_<part>.py.
    names = {p.name for p in guarded_files()}
    assert {"views_vcop.py", "forms_legal.py", "views_agenda.py", "urls_items.py", "screening_views.py"} <= names


def test_case_data_models_are_found():
    # If this fails the check below would be checking nothing.
    assert {"Case", "CaseNote", "CaseParticipant", "Person", "Referral"} <= set(case_data_models())


def test_no_view_form_or_api_module_queries_case_data_directly():
    models = "|".join(case_data_models())
    direct = re.compile(rf"\b({models})\.(objects|unscoped|_default_manager|_base_manager)\b(?!\.visible_to\()")
    raw = re.compile(r"\.(raw|extra)\(|connection\.cursor\(")
    offences = []
    for path in guarded_files():
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if direct.search(line) or raw.search(line):
                offences.append(f"{path.relative_to(SRC)}:{number}: {line.strip()}")
    assert not offences, (
        "Case data must be read through a selector that uses visible_to(user), never directly in a view, form, "
        "serializer or API module:\n" + "\n".join(offences)
    )


def test_the_check_catches_a_direct_query(tmp_path):
    # The pattern itself must match the forms a careless view would write.
    models = "|".join(case_data_models())
    direct = re.compile(rf"\b({models})\.(objects|unscoped|_default_manager|_base_manager)\b(?!\.visible_to\()")
    assert direct.search("cases = Case.objects.filter(unit=unit)")
    assert direct.search("cases = Case.unscoped.filter(unit=unit)")
    assert direct.search("Person._default_manager.get(pk=pk)")
    assert not direct.search("cases = case_list_for(user=request.user)")
    assert not direct.search("notes = CaseNote.objects.visible_to(request.user)")


@pytest.mark.parametrize("model", [Case, CaseNote, CaseParticipant, Person, Referral])
def test_objects_answers_only_visible_to(model):
    # The default door denies: a query that does not say for whom raises, it does not leak.
    for attempt in ("all", "filter", "get", "count", "exists", "first", "create"):
        with pytest.raises(ScopeRequiredError, match="visible_to"):
            getattr(model.objects, attempt)
    assert model.objects.visible_to(AnonymousUser()).query is not None


@pytest.mark.django_db
def test_visible_to_through_objects_is_scoped():
    CaseFactory()
    assert not Case.objects.visible_to(AnonymousUser()).exists()
    assert Case.unscoped.exists()


def test_split_view_and_form_modules_are_guarded_too():
    names = {str(p.relative_to(SRC)) for p in guarded_files()}
    assert {"referrals/screening_views.py", "referrals/screening_forms.py", "referrals/urls_screening.py"} <= names
