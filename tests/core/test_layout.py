"""The GOV.UK shell: vendored assets, the page template, form partials, error pages, navigation.

Tests marked `urls` use this module as the URLconf: it names every destination of the header
(the real apps are still filling theirs in), so the navigation can be checked for each role.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.http import HttpRequest, HttpResponse
from django.template import Context, RequestContext, Template
from django.template.loader import render_to_string
from django.test import Client, RequestFactory, override_settings
from django.urls import include, path, set_urlconf

from masip.access.decorators import public, requires_capability, signed_in
from masip.access.policy import Capability
from masip.accounts.models import Role
from masip.core import views as core_views
from masip.core.context_processors import navigation_for
from tests.factories import MembershipFactory, TOTPDeviceFactory, UnitFactory, UserFactory, member

REPO = Path(settings.BASE_DIR)
VENDOR = REPO / "static" / "vendor"
GOVUK = VENDOR / "govuk-frontend"
THIS_URLCONF = "tests.core.test_layout"

# --- A URLconf naming every header destination ------------------------------------------------

_STUB_PAGE = Template(
    '{% extends "base.html" %}{% block title %}Stub{% endblock %}'
    '{% block content %}<h1 class="govuk-heading-l">Stub</h1>{% endblock %}'
)


@public
def _stub(request: HttpRequest) -> HttpResponse:
    return HttpResponse(_STUB_PAGE.render(RequestContext(request)))


@signed_in
def _with_messages(request: HttpRequest) -> HttpResponse:
    messages.success(request, "Note saved")
    messages.warning(request, "This case is due for review")
    return _stub(request)


@requires_capability(Capability.VIEW_AUDIT)
def _audit_only(request: HttpRequest) -> HttpResponse:
    return _stub(request)


@public
def _broken(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


def _app(app_name: str, *routes: tuple[str, str]) -> Any:
    return include(([path(route, _stub, name=name) for route, name in routes], app_name))


urlpatterns = [
    path("", core_views.home, name="home"),
    path(
        "accounts/",
        _app(
            "accounts",
            ("profile/", "profile"),
            ("logout/", "logout"),
            ("switch/", "switch_unit"),
            ("members/", "members"),
        ),
    ),
    path("cases/", _app("cases", ("", "list"), ("break-glass/", "break_glass_reviews"))),
    path("audit/", _app("audit", ("", "list"))),
    path("api/", _app("api", ("tokens/", "token_list"))),
    path("test/page/", _stub),
    path("test/messages/", _with_messages),
    path("test/audit-only/", _audit_only),
    path("test/broken/", _broken),
]
handler400 = "masip.core.views.bad_request"
handler403 = "masip.core.views.permission_denied"
handler404 = "masip.core.views.page_not_found"
handler500 = "masip.core.views.server_error"


# --- Reading pages ------------------------------------------------------------------------------


class _Page(HTMLParser):
    """Start tags with their attributes, and the text inside each element kind we care about."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def find(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        """Tags named `tag` whose attributes contain each of `attrs` (class: one of its classes)."""
        found = []
        for name, tag_attrs in self.tags:
            if name != tag:
                continue
            ok = True
            for key, value in attrs.items():
                key = key.rstrip("_").replace("_", "-")
                actual = tag_attrs.get(key) or ""
                mismatch = value not in actual.split() if key == "class" else actual != value
                if mismatch:
                    ok = False
            if ok:
                found.append(tag_attrs)
        return found

    @property
    def plain_text(self) -> str:
        return re.sub(r"\s+", " ", " ".join(self.text))


def parse(html: str | bytes) -> _Page:
    page = _Page()
    page.feed(html.decode() if isinstance(html, bytes) else html)
    return page


def assert_govuk_page(html: str | bytes) -> _Page:
    """What every masip page must be: GOV.UK template, accessible basics, local assets only,
    nothing inline for the CSP to refuse."""
    page = parse(html)
    name, root = page.tags[0]
    assert (name, root.get("lang"), root.get("class")) == ("html", "en-GB", "govuk-template")
    assert page.find("body", class_="govuk-template__body")
    assert len(page.find("h1")) == 1, "a page has exactly one <h1>"
    skip = page.find("a", class_="govuk-skip-link")
    assert skip
    assert skip[0]["href"] == "#main-content"
    assert page.find("main", id="main-content")
    ids = [attrs["id"] for _, attrs in page.tags if attrs.get("id")]
    assert len(ids) == len(set(ids)), f"duplicate ids: {sorted(i for i in ids if ids.count(i) > 1)}"

    assert page.find("link", rel="stylesheet", href="/static/vendor/govuk-frontend/govuk-frontend.min.css")
    assert page.find("script", type="module", src="/static/masip/js/init.js")
    for _, attrs in page.tags:
        assert "style" not in attrs, "inline style attributes are refused by the CSP"
    assert not page.find("style")
    for attrs in page.find("script"):
        assert attrs.get("src"), "inline scripts are refused by the CSP"
    for _, attrs in page.tags:
        for key in ("href", "src"):
            url = attrs.get(key) or ""
            if url.startswith("/static/"):
                assert finders.find(url.removeprefix("/static/")), f"{url} is not a static file"
    return page


def nav_links(page: _Page) -> list[str]:
    return [str(a["href"]) for a in page.find("a", class_="govuk-service-navigation__link")]


# --- Vendored assets ----------------------------------------------------------------------------


def test_every_url_in_the_vendored_css_is_a_vendored_file():
    css = (GOVUK / "govuk-frontend.min.css").read_text()
    refs = {ref.strip("'\"") for ref in re.findall(r"url\(([^)]*)\)", css)} - {""}
    refs = {ref for ref in refs if not ref.startswith("data:")}
    for ref in refs:
        assert not ref.startswith("/"), f"{ref} would not resolve under STATIC_URL"
        assert "//" not in ref, f"{ref} is on another host"
        target = (GOVUK / ref.split("?")[0].split("#")[0]).resolve()
        assert target.is_file(), f"{ref} in govuk-frontend.min.css has no file"
        assert finders.find(target.relative_to(REPO / "static").as_posix())


def test_no_gov_uk_only_brand_asset_is_vendored_or_referenced():
    # The GDS Transport font, the crest and the GOV.UK icons are for GOV.UK services only.
    css = (GOVUK / "govuk-frontend.min.css").read_text()
    assert "@font-face" not in css
    assert "govuk-crest" not in css
    assert not list(GOVUK.rglob("*.woff*"))
    assert not list(GOVUK.rglob("govuk-*.png"))


def test_versions_file_matches_the_vendored_builds():
    versions = {}
    for line in (VENDOR / "VERSIONS").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version, _licence, sha256 = line.split()
            assert re.fullmatch(r"[0-9a-f]{64}", sha256)
            versions[name] = version
    assert f'const version="{versions["govuk-frontend"]}"' in (GOVUK / "govuk-frontend.min.js").read_text()
    assert f'--govuk-frontend-version:"{versions["govuk-frontend"]}"' in (GOVUK / "govuk-frontend.min.css").read_text()
    assert f'version:"{versions["htmx.org"]}"' in (VENDOR / "htmx" / "htmx.min.js").read_text()
    assert versions["htmx.org"].startswith("2.")


def test_init_script_imports_the_vendored_module():
    init = REPO / "static" / "masip" / "js" / "init.js"
    imports = re.findall(r'from\s+"([^"]+)"', init.read_text())
    assert imports
    for target in imports:
        module = (init.parent / target).resolve()
        assert module.is_file(), f"init.js imports {target}, which does not exist"
        assert "initAll" in module.read_text()


def test_collectstatic_with_the_production_manifest_storage(tmp_path):
    # The manifest storage rewrites every url() and source-map reference, and refuses to
    # finish if one points nowhere: this is what `collectstatic` does in production.
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    with override_settings(STATIC_ROOT=tmp_path, STORAGES=storages):
        call_command("collectstatic", interactive=False, verbosity=0)
    manifest = (tmp_path / "staticfiles.json").read_text()
    for source in ("vendor/govuk-frontend/govuk-frontend.min.css", "masip/js/init.js", "masip/css/masip.css"):
        assert source in manifest, f"{source} was not collected"
    assert list(tmp_path.glob("vendor/govuk-frontend/govuk-frontend.min.*.css")), "the stylesheet carries its hash"


_REMOTE_ASSET = re.compile(
    r"<(?:script|link|img|iframe|source|video|audio|object|embed|use|image)\b[^>]*?"
    r"\b(?:src|href|srcset|data|xlink:href)\s*=\s*[\"']?\s*(?:https?:)?//"
    r"|url\(\s*[\"']?\s*(?:https?:)?//"
    r"|@import\s+[\"']?(?:url\()?\s*[\"']?(?:https?:)?//",
    re.IGNORECASE,
)


@pytest.mark.parametrize(
    ("snippet", "remote"),
    [
        ('<script src="https://cdn.example/x.js"></script>', True),
        ("<link rel=stylesheet href=//cdn.example/x.css>", True),
        ('<img alt="" src="http://example.org/a.png">', True),
        ("body{background:url('https://example.org/a.png')}", True),
        ('@import "https://example.org/a.css";', True),
        ('<script type="module" src="{% static \'masip/js/init.js\' %}"></script>', False),
        ('<a href="https://www.gov.uk/guidance">guidance</a>', False),
    ],
)
def test_remote_asset_check_recognises_remote_assets(snippet, remote):
    assert bool(_REMOTE_ASSET.search(snippet)) is remote


def test_no_template_or_masip_asset_loads_anything_from_another_host():
    files = [*(REPO / "src").rglob("*.html"), *(REPO / "static" / "masip").rglob("*.css")]
    files += list((REPO / "static" / "masip").rglob("*.js"))
    assert any(f.name == "base.html" for f in files)
    offenders = [f"{f.relative_to(REPO)}: {m.group(0)}" for f in files for m in _REMOTE_ASSET.finditer(f.read_text())]
    assert offenders == []


# --- Pages --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_unknown_url_gets_the_govuk_404_page(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    page = assert_govuk_page(response.content)
    assert "Page not found" in page.plain_text
    assert "<title>Page not found \u2013 masip</title>" in response.content.decode()


@pytest.mark.django_db
def test_404_for_a_signed_in_user_keeps_the_shell(client_for):
    user = member(Role.POLICE_INVESTIGATOR)
    response = client_for(user).get("/no/such/page/")
    assert response.status_code == 404
    page = assert_govuk_page(response.content)
    assert user.memberships.get().unit.name in page.plain_text


@pytest.mark.django_db
def test_home_shows_units_roles_and_destinations(client_for):
    user = member(Role.UNIT_MANAGER, unit=UnitFactory(name="North Stalking Unit"))
    MembershipFactory(user=user, unit=UnitFactory(name="South Stalking Unit"), role=Role.ANALYST)
    response = client_for(user).get("/")
    assert response.status_code == 200
    page = assert_govuk_page(response.content)
    text = page.plain_text
    assert "North Stalking Unit Unit manager" in text
    assert "South Stalking Unit Analyst" in text
    assert "You have no active role" not in text
    assert "<title>Home \u2013 masip</title>" in response.content.decode()


@pytest.mark.django_db
def test_home_for_a_user_without_an_active_role_says_whom_to_ask(client_for):
    user = UserFactory()
    TOTPDeviceFactory(user=user)
    MembershipFactory(user=user, status="suspended")
    response = client_for(user).get("/")
    page = assert_govuk_page(response.content)
    assert "You have no active role in any unit. Ask your unit manager" in page.plain_text
    assert not page.find("dl", class_="govuk-summary-list")


@pytest.mark.django_db
def test_phase_banner_only_in_the_demo(client):
    assert "Demo — synthetic data only" in parse(client.get("/missing/").content).plain_text
    with override_settings(MASIP_DEMO=False):
        page = parse(client.get("/missing/").content)
    assert not page.find("div", class_="govuk-phase-banner")
    assert "synthetic" not in page.plain_text


@pytest.mark.django_db
def test_anonymous_pages_have_no_navigation_or_sign_out(client):
    page = parse(client.get("/missing/").content)
    assert not page.find("a", class_="govuk-service-navigation__link")
    assert "Sign out" not in page.plain_text


def test_500_page_needs_no_request_and_no_database():
    # No django_db mark: any query here fails the test.
    page = assert_govuk_page(render_to_string("errors/500.html"))
    assert "Sorry, there is a problem with the service" in page.plain_text


@pytest.mark.django_db
@pytest.mark.urls(THIS_URLCONF)
def test_a_crash_gets_the_govuk_500_page():
    response = Client(raise_request_exception=False).get("/test/broken/")
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in assert_govuk_page(response.content).plain_text


@pytest.mark.django_db
@pytest.mark.urls(THIS_URLCONF)
def test_403_page_shows_the_reason(client_for):
    response = client_for(member(Role.ANALYST)).get("/test/audit-only/")
    assert response.status_code == 403
    page = assert_govuk_page(response.content)
    assert "Your role does not allow this. Ask your unit manager if you need it." in page.plain_text


@pytest.mark.django_db
@pytest.mark.urls(THIS_URLCONF)
def test_csrf_failure_page_says_nothing_was_saved(client_for):
    client = client_for(member(Role.CLINICIAN))
    client.handler.enforce_csrf_checks = True
    response = client.post("/test/page/", {"note": "x"})
    assert response.status_code == 403
    page = assert_govuk_page(response.content)
    assert (
        "This form has expired or was not sent from masip. Go back, reload the page and try again. Nothing was saved."
        in page.plain_text
    )


@pytest.mark.django_db
def test_bad_request_gets_the_govuk_400_page(client):
    response = client.get("/", headers={"host": "attacker.example"})
    assert response.status_code == 400
    assert "problem with the request" in assert_govuk_page(response.content).plain_text


@pytest.mark.django_db
@pytest.mark.urls(THIS_URLCONF)
def test_messages_are_notification_banners(client_for):
    response = client_for(member(Role.CLINICIAN)).get("/test/messages/")
    page = assert_govuk_page(response.content)
    success = page.find("div", class_="govuk-notification-banner--success")
    assert len(success) == 1
    assert success[0]["role"] == "alert"
    banners = page.find("div", class_="govuk-notification-banner")
    assert len(banners) == 2
    assert {b["role"] for b in banners} == {"alert", "region"}
    assert "Note saved" in page.plain_text
    assert "This case is due for review" in page.plain_text


# --- Navigation ---------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.urls(THIS_URLCONF)
@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (
            Role.UNIT_MANAGER,
            ["/cases/", "/cases/break-glass/", "/accounts/members/", "/audit/", "/accounts/profile/"],
        ),
        (Role.SYSTEM_ADMINISTRATOR, ["/accounts/members/", "/api/tokens/", "/accounts/profile/"]),
        (Role.CLINICIAN, ["/cases/", "/accounts/profile/"]),
        (Role.PARTNER_REFERRER, ["/accounts/profile/"]),
        (Role.ANALYST, ["/accounts/profile/"]),
    ],
)
def test_navigation_follows_the_policy(client_for, role, expected):
    page = assert_govuk_page(client_for(member(role)).get("/").content)
    assert nav_links(page) == expected
    # The dashboard offers the same destinations.
    assert [a["href"] for a in page.find("a", class_="govuk-link") if a["href"] in expected] == expected


@pytest.mark.django_db
@pytest.mark.urls(THIS_URLCONF)
def test_current_section_is_marked(client_for):
    page = parse(client_for(member(Role.UNIT_MANAGER)).get("/cases/break-glass/").content)
    active = page.find("a", class_="govuk-service-navigation__link", aria_current="page")
    assert [a["href"] for a in active] == ["/cases/break-glass/"]
    assert len(page.find("li", class_="govuk-service-navigation__item--active")) == 1


@pytest.mark.django_db
@pytest.mark.urls(THIS_URLCONF)
def test_header_shows_unit_role_and_a_sign_out_form(client_for):
    user = member(Role.POLICE_INVESTIGATOR, unit=UnitFactory(name="East Stalking Unit"))
    page = assert_govuk_page(client_for(user).get("/").content)
    assert "Working in East Stalking Unit as Police investigator" in page.plain_text
    sign_out = page.find("form", action="/accounts/logout/")
    assert sign_out
    assert sign_out[0]["method"] == "post"
    assert page.find("input", name="csrfmiddlewaretoken")
    assert not page.find("form", action="/accounts/switch/"), "one unit: nothing to switch to"


@pytest.mark.django_db
@pytest.mark.urls(THIS_URLCONF)
def test_a_member_of_several_units_can_switch(client_for):
    first = UnitFactory(name="A Unit")
    user = member(Role.CLINICIAN, unit=first)
    MembershipFactory(user=user, unit=UnitFactory(name="B Unit"), role=Role.TRAINER)
    page = parse(client_for(user).get("/").content)
    assert page.find("form", action="/accounts/switch/", method="post")
    options = page.find("option")
    assert len(page.find("select", name="unit")) == 1
    assert len(options) == 2
    assert [o["value"] for o in options if "selected" in o] == [str(first.pk)]


@pytest.mark.django_db
@pytest.mark.urls(THIS_URLCONF)
def test_before_the_second_factor_only_sign_out_is_offered(client):
    user = member(Role.UNIT_MANAGER)
    client.force_login(user)
    page = parse(client.get("/test/page/").content)
    assert nav_links(page) == []
    assert page.find("form", action="/accounts/logout/")
    assert "Working in" not in page.plain_text


@pytest.mark.django_db
def test_destinations_whose_url_does_not_exist_yet_are_left_out():
    class OnlyProfile:  # a URLconf in which the other apps have not added their pages yet
        urlpatterns = [path("", _stub, name="home"), path("accounts/", _app("accounts", ("me/", "profile")))]

    request = RequestFactory().get("/")
    request.user = member(Role.UNIT_MANAGER)
    request.user.is_verified = lambda: True  # type: ignore[attr-defined]
    set_urlconf(OnlyProfile)
    try:
        items = navigation_for(request)
    finally:
        set_urlconf(None)
    assert [(i.label, i.url) for i in items] == [("Profile", "/accounts/me/")]


# --- Form partials ------------------------------------------------------------------------------


class UnitSelect(forms.Select):
    """A project widget: its class name says nothing of what it is."""


class ExampleForm(forms.Form):
    name = forms.CharField(
        help_text="As it appears on their ID",
        widget=forms.TextInput(attrs={"autocomplete": "name", "class": "govuk-input--width-20"}),
    )
    email = forms.EmailField(required=False, widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    count = forms.IntegerField(required=False)
    seen_on = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    compartment = forms.ChoiceField(choices=[("team", "Case team"), ("police", "Police only")])
    unit = forms.ChoiceField(choices=[("1", "North")], widget=UnitSelect)
    route = forms.ChoiceField(
        widget=forms.RadioSelect,
        choices=[("criminal", "Criminal justice"), ("civil", "Civil order")],
        help_text="The panel's decision",
    )
    flags = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[("weapons", "Access to weapons"), ("breach", "Breach of an order")],
    )
    confirm = forms.BooleanField(help_text="You have told the victim")
    version = forms.IntegerField(widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        raise forms.ValidationError("Someone else changed this record. Reload it and make your change again.")


BAD_DATA = {"name": "", "password": "hunter2hunter2", "route": "", "flags": ["breach"], "version": "x"}


def render_field(form: forms.Form, name: str, **options: Any) -> _Page:
    context = {"field": form[name], **options}
    html = Template('{% include "includes/field.html" %}').render(Context(context))
    return parse(html)


def test_text_input_with_hint_and_error():
    page = render_field(ExampleForm(data=BAD_DATA), "name")
    assert page.find("div", class_="govuk-form-group--error")
    assert page.find("label", class_="govuk-label", for_="id_name")
    assert page.find("div", class_="govuk-hint", id="id_name_helptext")
    error = page.find("p", class_="govuk-error-message", id="id_name_error")
    assert error
    assert "Error: This field is required." in page.plain_text
    (control,) = page.find("input", id="id_name")
    assert control["class"] == "govuk-input govuk-input--error govuk-input--width-20"
    assert control["autocomplete"] == "name"
    assert control["aria-describedby"] == "id_name_helptext id_name_error"
    assert "(optional)" not in page.plain_text


def test_valid_optional_inputs_keep_their_type_and_say_optional():
    form = ExampleForm()
    for name, input_type in (("email", "email"), ("count", "number"), ("seen_on", "date")):
        page = render_field(form, name)
        (control,) = page.find("input", id=f"id_{name}")
        assert (control["type"], control["class"]) == (input_type, "govuk-input")
        assert "aria-describedby" not in control
        assert "(optional)" in page.plain_text
        assert not page.find("div", class_="govuk-form-group--error")
    assert render_field(form, "email").find("input", autocomplete="email")


def test_password_uses_the_password_input_and_is_not_echoed():
    page = render_field(ExampleForm(data=BAD_DATA), "password")
    assert page.find("div", class_="govuk-password-input", data_module="govuk-password-input")
    (control,) = page.find("input", id="id_password")
    assert control["type"] == "password"
    assert control["autocomplete"] == "current-password"
    assert control["spellcheck"] == "false"
    assert "govuk-js-password-input-input" in str(control["class"])
    assert "value" not in control
    assert page.find("button", class_="govuk-js-password-input-toggle", aria_controls="id_password")


def test_textarea_and_selects():
    form = ExampleForm()
    (area,) = render_field(form, "summary").find("textarea")
    assert (area["class"], area["rows"]) == ("govuk-textarea", "3")
    (select,) = render_field(form, "compartment").find("select")
    assert select["class"] == "govuk-select"
    (custom,) = render_field(form, "unit").find("select")
    assert custom["class"] == "govuk-select"


def test_radios_are_a_fieldset_of_govuk_items():
    page = render_field(ExampleForm(data={**BAD_DATA, "route": "civil"}), "route", label_size="m")
    (fieldset,) = page.find("fieldset", class_="govuk-fieldset")
    assert fieldset["aria-describedby"] == "id_route_helptext"
    assert page.find("legend", class_="govuk-fieldset__legend--m")
    assert page.find("div", class_="govuk-radios", data_module="govuk-radios")
    radios = page.find("input", class_="govuk-radios__input")
    assert [(r["id"], r["type"], r["value"]) for r in radios] == [
        ("id_route_0", "radio", "criminal"),
        ("id_route_1", "radio", "civil"),
    ]
    assert ["checked" in r for r in radios] == [False, True]
    assert [label["for"] for label in page.find("label", class_="govuk-radios__label")] == ["id_route_0", "id_route_1"]


def test_radios_with_an_error_describe_it_on_the_fieldset():
    page = render_field(ExampleForm(data=BAD_DATA), "route")
    assert page.find("div", class_="govuk-form-group--error")
    assert page.find("fieldset", aria_describedby="id_route_helptext id_route_error")
    assert page.find("p", class_="govuk-error-message", id="id_route_error")


def test_checkboxes_keep_what_was_ticked():
    page = render_field(ExampleForm(data=BAD_DATA), "flags")
    boxes = page.find("input", class_="govuk-checkboxes__input")
    assert [(b["type"], b["value"], "checked" in b) for b in boxes] == [
        ("checkbox", "weapons", False),
        ("checkbox", "breach", True),
    ]
    assert "(optional)" in page.plain_text


def test_single_checkbox():
    page = render_field(ExampleForm(data=BAD_DATA), "confirm")
    (box,) = page.find("input", id="id_confirm")
    assert (box["type"], box["class"]) == ("checkbox", "govuk-checkboxes__input")
    assert box["aria-describedby"] == "id_confirm_helptext id_confirm_error"
    assert page.find("div", class_="govuk-checkboxes__hint", id="id_confirm_helptext")
    assert page.find("label", class_="govuk-checkboxes__label", for_="id_confirm")


def test_hidden_field_is_only_the_input():
    page = render_field(ExampleForm(initial={"version": 3}), "version")
    assert [name for name, _ in page.tags] == ["input"]
    assert page.find("input", type="hidden", value="3")


def test_page_heading_option_makes_the_label_the_h1():
    page = render_field(ExampleForm(), "summary", page_heading=True, label_size="l")
    assert page.find("h1", class_="govuk-label-wrapper")
    assert page.find("label", class_="govuk-label--l")


def test_error_summary_links_every_error_to_its_control():
    form = ExampleForm(data=BAD_DATA)
    page = parse(Template('{% include "includes/error_summary.html" %}').render(Context({"form": form})))
    assert page.find("div", class_="govuk-error-summary", data_module="govuk-error-summary")
    assert page.find("div", role="alert")
    links = [a["href"] for a in page.find("a")]
    assert links == ["#id_name", "#id_summary", "#id_compartment", "#id_unit", "#id_route_0", "#id_confirm"]
    text = page.plain_text
    assert "Someone else changed this record. Reload it and make your change again." in text
    assert "Enter a whole number." in text, "errors of hidden fields are listed too"


def test_no_error_summary_without_errors():
    html = Template('{% include "includes/error_summary.html" %}').render(Context({"form": ExampleForm()}))
    assert html.strip() == ""


def test_button_include():
    page = parse(
        Template('{% include "includes/button.html" with text="Save note" style="secondary" %}').render(Context())
    )
    (button,) = page.find("button")
    assert button["type"] == "submit"
    assert button["class"] == "govuk-button govuk-button--secondary"
    assert button["data-prevent-double-click"] == "true"
