"""Trainers see training data only, never case data; the training module shares no table with
case data (issue 10). Held here from both sides: the models' relations, and what a trainer who
is signed in can open."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.urls import reverse

from masip.accounts.models import Role
from masip.cases.models import Case
from tests.conftest import verified_client
from tests.factories import CaseFactory, member

ALLOWED_OUTSIDE = {"accounts.unit", "accounts.user"}
# The audit log records every app's events, training's among them, by type and id (no relation).
NOT_CASE_DATA = {"training", "audit"}
CASE_DATA_APPS = {
    "people",
    "referrals",
    "cases",
    "evidence",
    "risk",
    "timeline",
    "interventions",
    "panel",
    "reports",
    "work",
}


def _relations(model):
    """The relations `model` declares (FK, one-to-one, many-to-many), not those pointing at it."""
    return [f for f in model._meta.get_fields(include_hidden=True) if f.is_relation and not f.auto_created]


def test_training_models_point_only_at_the_unit_and_users_outside_training():
    training = list(apps.get_app_config("training").get_models(include_auto_created=True))
    outside = sorted(
        f"{model.__name__}.{field.name} → {field.related_model._meta.label_lower}"
        for model in training
        for field in _relations(model)
        if field.related_model is not None
        and field.related_model._meta.app_label != "training"
        and field.related_model._meta.label_lower not in ALLOWED_OUTSIDE
    )
    assert outside == []
    targets = {
        field.related_model._meta.label_lower
        for model in training
        for field in _relations(model)
        if field.related_model is not None and field.related_model._meta.app_label != "training"
    }
    assert targets == ALLOWED_OUTSIDE  # the walk sees the relations it allows
    assert len(training) >= 14  # the test sees the app's tables


def test_no_other_app_points_at_a_training_model():
    assert {config.label for config in apps.get_app_configs()} >= CASE_DATA_APPS
    inward = sorted(
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label not in NOT_CASE_DATA
        for field in _relations(model)
        if field.related_model is not None and field.related_model._meta.app_label == "training"
    )
    assert inward == []
    into_cases = [
        field
        for model in apps.get_models()
        if model._meta.app_label in CASE_DATA_APPS
        for field in _relations(model)
        if field.related_model is Case
    ]
    assert into_cases  # the walk sees the case-data apps' own relations


def test_training_tables_are_its_own():
    tables = {model._meta.db_table for model in apps.get_app_config("training").get_models(include_auto_created=True)}
    assert all(table.startswith("training_") for table in tables), tables
    other = {
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label != "training"
    }
    assert tables.isdisjoint(other)


@pytest.mark.django_db
def test_a_trainer_sees_no_case_of_their_own_unit():
    case = CaseFactory()
    trainer = member(Role.TRAINER, case.unit)
    colleague = member(Role.UNIT_MANAGER, case.unit)
    client = verified_client(trainer)

    detail = client.get(reverse("cases:detail", kwargs={"case_id": case.pk}))
    listing = client.get(reverse("cases:list"))

    assert detail.status_code in (403, 404)
    assert listing.status_code in (403, 404)
    assert case.reference not in detail.content.decode() + listing.content.decode()
    assert list(Case.objects.visible_to(trainer)) == []
    assert list(Case.objects.visible_to(colleague)) == [case]  # the case is there to be seen
    assert client.get(reverse("training:reports")).status_code == 200  # and the trainer is signed in
