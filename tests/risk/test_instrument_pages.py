"""The manager's instrument pages: list, a version read-only, upload (good and bad), withdraw,
and who is refused."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from masip.accounts.models import Role
from masip.risk.loading import instrument_load
from masip.risk.models import InstrumentVersion
from tests.conftest import verified_client
from tests.factories import UnitFactory, member
from tests.risk.conftest import SHIPPED, as_bytes, small

pytestmark = pytest.mark.django_db


def upload(client, unit, content: bytes, name: str = "screen.json"):
    return client.post(
        f"{reverse('instruments:upload')}?unit={unit.pk}",
        {"unit": unit.pk, "file": SimpleUploadedFile(name, content, content_type="application/octet-stream")},
    )


def test_a_manager_uploads_a_file_and_sees_what_was_loaded(unit):
    manager = member(Role.UNIT_MANAGER, unit=unit)
    client = verified_client(manager)
    response = upload(client, unit, (SHIPPED / "masip-test-instrument.yaml").read_bytes(), "test.yaml")
    version = InstrumentVersion.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("instruments:version", kwargs={"version_id": version.pk})
    assert (version.instrument.unit, version.loaded_by) == (unit, manager)
    page = client.get(response["Location"]).content.decode()
    assert "Test instrument (masip illustrative) version 1.0" in page
    assert "Illustrative: not a validated risk instrument." in page
    assert "How did the contact happen?" in page
    assert "Asked only when contact_recent is yes." in page
    assert version.source_sha256 in page
    listing = client.get(reverse("instruments:list")).content.decode()
    assert "Test instrument (masip illustrative)" in listing
    assert manager.email in listing


def test_a_bad_file_shows_every_problem_and_stores_nothing(unit):
    client = verified_client(member(Role.UNIT_MANAGER, unit=unit))
    data = small()
    data["sections"][0]["items"][1]["id"] = "q1"
    data["sections"][0]["items"][0]["type"] = "slider"
    response = upload(client, unit, as_bytes(data))
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    assert "sections[0].items[1].id: “q1” is used twice; item ids must be unique" in page
    assert "sections[0].items[0].type: “slider” is not allowed here" in page
    assert not InstrumentVersion.objects.exists()


def test_a_yaml_file_building_objects_is_refused_on_the_page(unit):
    client = verified_client(member(Role.UNIT_MANAGER, unit=unit))
    response = upload(client, unit, b"id: !!python/object/apply:os.system ['true']\n", "evil.yaml")
    assert "masip does not accept tags" in response.content.decode()
    assert not InstrumentVersion.objects.exists()


def test_a_file_over_the_limit_is_refused_with_the_limit_named(unit, settings):
    settings.MASIP_INSTRUMENT_MAX_BYTES = 2048
    client = verified_client(member(Role.UNIT_MANAGER, unit=unit))
    response = upload(client, unit, b"a: b\n" * 1000, "big.yaml")
    assert response.status_code == 413
    assert "The file is larger than 2 KB" in response.content.decode()
    assert not InstrumentVersion.objects.exists()


def test_uploading_the_same_file_again_says_it_is_already_loaded(unit):
    client = verified_client(member(Role.UNIT_MANAGER, unit=unit))
    upload(client, unit, as_bytes(small()))
    response = upload(client, unit, as_bytes(small()))
    assert "is already loaded" in client.get(response["Location"]).content.decode()
    assert InstrumentVersion.objects.count() == 1


def test_a_manager_withdraws_a_version_after_confirming(unit):
    manager = member(Role.UNIT_MANAGER, unit=unit)
    version = instrument_load(actor=manager, unit=unit, text=as_bytes(small()), filename="x.json")
    client = verified_client(manager)
    url = reverse("instruments:withdraw", kwargs={"version_id": version.pk})
    assert "Withdraw version 1.0" in client.get(url).content.decode()
    version.refresh_from_db()
    assert version.withdrawn_at is None  # asking is not withdrawing
    response = client.post(url)
    assert response.status_code == 302
    version.refresh_from_db()
    assert version.withdrawn_at is not None
    assert "Withdrawn" in client.get(reverse("instruments:list")).content.decode()


def test_a_shipped_version_cannot_be_withdrawn_by_one_unit(unit):
    shipped = instrument_load(actor=None, unit=None, text=as_bytes(small()), filename="x.json")
    client = verified_client(member(Role.UNIT_MANAGER, unit=unit))
    response = client.post(reverse("instruments:withdraw", kwargs={"version_id": shipped.pk}))
    assert "one unit cannot withdraw them" in response.content.decode()
    shipped.refresh_from_db()
    assert shipped.withdrawn_at is None
    # ...but every manager sees it and can read it.
    assert client.get(reverse("instruments:version", kwargs={"version_id": shipped.pk})).status_code == 200


def test_another_units_manager_gets_the_same_404_and_never_sees_the_list_entry(unit):
    theirs = instrument_load(actor=None, unit=unit, text=as_bytes(small()), filename="x.json")
    outsider = verified_client(member(Role.UNIT_MANAGER, unit=UnitFactory()))
    for name in ("instruments:version", "instruments:withdraw"):
        assert outsider.get(reverse(name, kwargs={"version_id": theirs.pk})).status_code == 404
    assert outsider.post(reverse("instruments:withdraw", kwargs={"version_id": theirs.pk})).status_code == 404
    assert outsider.get(reverse("instruments:version", kwargs={"version_id": 999999})).status_code == 404
    assert "Unit screen" not in outsider.get(reverse("instruments:list")).content.decode()
    theirs.refresh_from_db()
    assert theirs.withdrawn_at is None


def test_a_manager_cannot_upload_into_another_unit(unit):
    client = verified_client(member(Role.UNIT_MANAGER, unit=UnitFactory()))
    assert upload(client, unit, as_bytes(small())).status_code == 404
    assert not InstrumentVersion.objects.exists()


def test_a_clinician_is_refused_every_page(unit):
    version = instrument_load(actor=None, unit=unit, text=as_bytes(small()), filename="x.json")
    client = verified_client(member(Role.CLINICIAN, unit=unit))
    assert client.get(reverse("instruments:list")).status_code == 403
    assert client.get(reverse("instruments:version", kwargs={"version_id": version.pk})).status_code == 403
    assert client.post(reverse("instruments:withdraw", kwargs={"version_id": version.pk})).status_code == 403
    assert upload(client, unit, as_bytes(small(version="2.0"))).status_code == 403
    assert InstrumentVersion.objects.count() == 1
    assert "Risk instruments" not in client.get(reverse("home"), follow=True).content.decode()


def test_managers_find_the_page_in_the_navigation(unit):
    client = verified_client(member(Role.UNIT_MANAGER, unit=unit))
    assert reverse("instruments:list") in client.get(reverse("home"), follow=True).content.decode()


def test_the_list_takes_a_fixed_number_of_queries(unit, django_assert_max_num_queries):
    manager = member(Role.UNIT_MANAGER, unit=unit)
    for n in range(4):
        instrument_load(actor=None, unit=unit, text=as_bytes(small(id=f"i{n}", version="1")), filename="x.json")
        instrument_load(actor=None, unit=unit, text=as_bytes(small(id=f"i{n}", version="2")), filename="x.json")
    client = verified_client(manager)
    client.get(reverse("instruments:list"))  # warm the session
    with django_assert_max_num_queries(12):
        assert client.get(reverse("instruments:list")).status_code == 200
