"""The public offer page: which units show, what it says (read from the unit's catalogue), and
that text a trainer typed is shown, never run."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from masip.training.models import LearningOutcome, Topic, TopicKind, TrainingSettings
from tests.factories import UnitFactory

pytestmark = pytest.mark.django_db


def published(**kwargs: Any) -> TrainingSettings:
    unit = UnitFactory()
    return TrainingSettings.objects.create(unit=unit, offer_published=True, **kwargs)


def topic(
    unit: Any, title: str, *, kind: str = TopicKind.SELECTABLE, active: bool = True, sequence: int = 100
) -> Topic:
    return Topic.objects.create(
        unit=unit,
        key=title.lower().replace(" ", "-")[:60],
        title=title,
        kind=kind,
        min_minutes=15,
        max_minutes=45,
        active=active,
        sequence=sequence,
    )


def test_no_unit_publishes_an_offer() -> None:
    TrainingSettings.objects.create(unit=UnitFactory(), offer_published=False)
    response = Client().get(reverse("training:offer"))
    assert response.status_code == 200
    assert "No unit publishes a training offer here" in response.content.decode()


def test_one_published_unit_shows_its_offer_directly() -> None:
    settings = published(half_day_minutes=200, full_day_minutes=400)
    response = Client().get(reverse("training:offer"))
    page = response.content.decode()
    assert response.status_code == 200
    assert settings.unit.name in page
    assert "3 hours 20 minutes" in page
    assert "6 hours 40 minutes" in page
    assert reverse("training:enquire", kwargs={"unit_code": settings.unit.code}) in page


def test_several_published_units_are_listed() -> None:
    first, second = published(), published()
    TrainingSettings.objects.create(unit=UnitFactory(name="Hidden unit"), offer_published=False)
    page = Client().get(reverse("training:offer")).content.decode()
    assert reverse("training:offer_unit", kwargs={"unit_code": first.unit.code}) in page
    assert reverse("training:offer_unit", kwargs={"unit_code": second.unit.code}) in page
    assert "Hidden unit" not in page


def test_the_offer_reads_the_catalogue() -> None:
    settings = published()
    opening = topic(settings.unit, "A victim's story", kind=TopicKind.OPENING, sequence=1)
    legal = topic(settings.unit, "Legal issues")
    topic(settings.unit, "Withdrawn topic", active=False)
    LearningOutcome.objects.create(topic=legal, text="Name the offences of stalking", position=1)
    LearningOutcome.objects.create(topic=legal, text="An outcome no longer taught", retired=True)
    LearningOutcome.objects.create(topic=opening, text="Recognise the pattern", position=1)
    topic(UnitFactory(), "Another unit's topic")
    page = Client().get(reverse("training:offer_unit", kwargs={"unit_code": settings.unit.code})).content.decode()
    assert page.index("A victim&#x27;s story") < page.index("Legal issues")
    assert "Name the offences of stalking" in page
    assert "Recognise the pattern" in page
    assert "Withdrawn topic" not in page
    assert "An outcome no longer taught" not in page
    assert "Another unit&#x27;s topic" not in page
    assert page.count("<h1") == 1


def test_the_introduction_is_escaped_with_its_line_breaks_kept() -> None:
    settings = published(offer_introduction="We train <script>alert(1)</script>\nacross the region")
    page = Client().get(reverse("training:offer_unit", kwargs={"unit_code": settings.unit.code})).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;<br>across the region" in page


@pytest.mark.parametrize("name", ["offer_unit", "enquire", "enquiry_sent"])
def test_an_unknown_or_unpublished_unit_is_not_found(name: str) -> None:
    hidden = TrainingSettings.objects.create(unit=UnitFactory(), offer_published=False)
    for code in ("no-such-unit", hidden.unit.code):
        assert Client().get(reverse(f"training:{name}", kwargs={"unit_code": code})).status_code == 404


def test_the_offer_urls_do_not_catch_other_training_urls() -> None:
    from django.urls import Resolver404, resolve

    settings = published()
    assert resolve(f"/training/{settings.unit.code}/").url_name == "offer_unit"
    # A one-segment path that is no unit's code is left to the other parts (or to a 404).
    try:
        match = resolve("/training/no-such-unit/")
    except Resolver404:
        return
    assert match.url_name != "offer_unit"
