"""Web screens where system administrators issue and revoke API tokens for systems."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_POST

from masip.access.decorators import requires_capability
from masip.access.policy import Capability
from masip.api import selectors, services
from masip.api.forms import ApiTokenForm


@requires_capability(Capability.MANAGE_API_TOKENS)
def token_list(request: HttpRequest) -> HttpResponse:
    tokens = list(selectors.api_tokens_for(user=request.user))
    return render(
        request,
        "api/token_list.html",
        {"tokens": tokens, "prefix_length": services.TOKEN_PREFIX_SHOWN, "now": timezone.now()},
    )


@requires_capability(Capability.MANAGE_API_TOKENS)
def token_create(request: HttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST or None, units=selectors.token_units_for(user=request.user))
    if request.method == "POST" and form.is_valid():
        try:
            issued = services.api_token_issue(
                actor=request.user,
                unit=form.cleaned_data["unit"],
                role=form.cleaned_data["role"],
                system_name=form.cleaned_data["system_name"],
                lifetime=form.lifetime,
                agency=form.cleaned_data["agency"],
                request=request,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            # Rendered, not redirected: the token must not be kept anywhere to show it later.
            response = render(request, "api/token_issued.html", {"issued": issued})
            add_never_cache_headers(response)
            return response
    return render(request, "api/token_create.html", {"form": form})


@requires_capability(Capability.MANAGE_API_TOKENS)
@require_POST
def token_revoke(request: HttpRequest, token_id: str) -> HttpResponse:
    token = selectors.api_token_get_for(user=request.user, token_id=token_id, request=request)
    try:
        services.api_token_revoke(actor=request.user, token=token, request=request)
    except ValidationError as error:
        messages.info(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            f"Token {token.token_key[: services.TOKEN_PREFIX_SHOWN]}… for {token.user} revoked. "
            "It stopped working straight away.",
        )
    return redirect("api:token_list")
