"""The catalogue pages for trainers: topics, one topic with its learning outcomes, the unit's
training settings. Thin: reads through selectors_catalogue, writes through services_catalogue."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from masip.access.decorators import requires_capability
from masip.access.policy import Capability
from masip.core.forms import add_service_errors
from masip.core.models import StaleEditError
from masip.training import selectors_catalogue, services_catalogue
from masip.training.forms_catalogue import OutcomeForm, SettingsForm, TopicForm
from masip.training.models import AudienceType, Topic
from masip.training.selectors import of_unit, settings_of, training_unit


def _with_unit(url: str, unit: Any, units: list[Any]) -> str:
    return f"{url}?unit={unit.pk}" if len(units) > 1 else url


@requires_capability(Capability.MANAGE_TRAINING)
def topics(request: HttpRequest) -> HttpResponse:
    """The unit's catalogue: kind, format, range of minutes, priority per audience, trainers."""
    unit, units = training_unit(request)
    rows = [(topic, selectors_catalogue.audience_rows(topic)) for topic in selectors_catalogue.topics_of(unit)]
    return render(
        request,
        "training/catalogue/topics.html",
        {"unit": unit, "units": units, "rows": rows, "audience_labels": [label for _, label in AudienceType.choices]},
    )


@requires_capability(Capability.MANAGE_TRAINING)
@require_POST
def catalogue_install(request: HttpRequest) -> HttpResponse:
    unit, units = training_unit(request)
    try:
        added = services_catalogue.catalogue_install(unit=unit, actor=request.user, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            f"masip's illustrative catalogue was loaded: {added} topics. Add trainers to each topic and make the "
            "wording your own.",
        )
    return redirect(_with_unit(reverse("training:topics"), unit, units))


def _topic_initial(topic: Topic) -> dict[str, Any]:
    initial: dict[str, Any] = {name: getattr(topic, name) for name in services_catalogue.TOPIC_FIELDS}
    initial["version"] = topic.version
    initial["trainers"] = list(topic.trainers.all())
    for row in topic.audiences.all():
        initial[f"relevance_{row.audience}"] = row.relevance
        initial[f"priority_{row.audience}"] = row.priority
    return initial


def _render_topic(
    request: HttpRequest, unit: Any, units: list[Any], form: TopicForm, topic: Topic | None, status: int = 200,
    outcome_form: OutcomeForm | None = None,
) -> HttpResponse:  # fmt: skip
    context = {
        "unit": unit,
        "units": units,
        "form": form,
        "topic": topic,
        "outcomes": list(topic.outcomes.all()) if topic else [],
        "outcome_form": outcome_form,
    }
    return render(request, "training/catalogue/topic_form.html", context, status=status)


@requires_capability(Capability.MANAGE_TRAINING)
@require_http_methods(["GET", "POST"])
def topic_new(request: HttpRequest) -> HttpResponse:
    unit, units = training_unit(request)
    form = TopicForm(request.POST or None, unit=unit)
    if request.method == "POST":
        if form.is_valid():
            try:
                topic = services_catalogue.topic_create(
                    unit=unit,
                    actor=request.user,
                    values=form.cleaned_data,
                    trainers=form.cleaned_data["trainers"],
                    audiences=form.audiences(),
                    request=request,
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"Topic \u2018{topic.title}\u2019 added. Add its learning outcomes below.")
                return redirect(_with_unit(reverse("training:topic_edit", args=[topic.pk]), unit, units))
        return _render_topic(request, unit, units, form, None, status=400)
    return _render_topic(request, unit, units, form, None)


@requires_capability(Capability.MANAGE_TRAINING)
@require_http_methods(["GET", "POST"])
def topic_edit(request: HttpRequest, topic_id: Any) -> HttpResponse:
    unit, units = training_unit(request)
    topic = of_unit(Topic, unit=unit, pk=topic_id)
    if request.method != "POST":
        return _render_topic(request, unit, units, TopicForm(initial=_topic_initial(topic), unit=unit), topic)
    form = TopicForm(request.POST, unit=unit)
    status = 400
    if form.is_valid():
        try:
            services_catalogue.topic_update(
                topic=topic,
                actor=request.user,
                expected_version=form.cleaned_data["version"] or 0,
                values=form.cleaned_data,
                trainers=form.cleaned_data["trainers"],
                audiences=form.audiences(),
                request=request,
            )
        except StaleEditError as error:
            form.add_error(None, str(error))
            status = 409
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Topic \u2018{form.cleaned_data['title']}\u2019 saved.")
            return redirect(_with_unit(reverse("training:topics"), unit, units))
    topic.refresh_from_db()
    return _render_topic(request, unit, units, form, topic, status=status)


@requires_capability(Capability.MANAGE_TRAINING)
@require_POST
def topic_outcome(request: HttpRequest, topic_id: Any) -> HttpResponse:
    """Add, edit, move or retire a learning outcome of the topic."""
    unit, units = training_unit(request)
    topic = of_unit(Topic, unit=unit, pk=topic_id)
    form = OutcomeForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            done = services_catalogue.outcome_change(
                topic=topic,
                actor=request.user,
                expected_version=form.cleaned_data["version"],
                action=form.cleaned_data["action"],
                outcome_id=form.cleaned_data["outcome"],
                text=form.cleaned_data["text"],
                request=request,
            )
        except StaleEditError as error:
            form.add_error(None, str(error))
            status = 409
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, done)
            return redirect(_with_unit(reverse("training:topic_edit", args=[topic.pk]), unit, units) + "#outcomes")
    topic.refresh_from_db()
    topic_form = TopicForm(initial=_topic_initial(topic), unit=unit)
    return _render_topic(request, unit, units, topic_form, topic, status=status, outcome_form=form)


@requires_capability(Capability.MANAGE_TRAINING)
@require_http_methods(["GET", "POST"])
def training_settings(request: HttpRequest) -> HttpResponse:
    unit, units = training_unit(request)
    current = settings_of(unit)
    form = SettingsForm(request.POST or None, instance=current)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services_catalogue.settings_update(
                    unit=unit, actor=request.user, values=form.cleaned_data, request=request
                )
            except ValidationError as error:
                add_service_errors(form, error)  # type: ignore[arg-type]
            else:
                messages.success(request, "Training settings saved.")
                return redirect(_with_unit(reverse("training:settings"), unit, units))
    return render(
        request, "training/catalogue/settings.html", {"unit": unit, "units": units, "form": form}, status=status
    )
