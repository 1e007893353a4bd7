"""Requests refused before any view runs."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string


class RejectNulBytesMiddleware:
    """A NUL byte in the address is never legitimate (PostgreSQL refuses it in text, so it would
    otherwise end in a server error wherever a URL value reaches the database): answer 400."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or "\x00" in unquote(request.META.get("QUERY_STRING", "")):
            return HttpResponse(render_to_string("errors/400.html"), status=400)
        return self.get_response(request)
