"""Upload handlers that keep an uploaded file (evidence, a referral import) in memory, within
its size limit.

Django spools a file over FILE_UPLOAD_MAX_MEMORY_SIZE to an unencrypted temporary file; these
stop that, and stop reading as soon as the upload passes the limit (a client need not say its
size). The limit bounds the memory an upload can take.
"""

from __future__ import annotations

from typing import Any

from django.core.files.uploadhandler import FileUploadHandler, MemoryFileUploadHandler, StopUpload
from django.http import HttpRequest

# Room for the rest of a multipart body (boundaries, the CSRF token, the other fields).
FORM_OVERHEAD_BYTES = 64 * 1024


class UploadLimit(FileUploadHandler):
    """Stops reading an upload as soon as it passes the limit (a client may not say its size)."""

    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.exceeded = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.limit:
            self.exceeded = True
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


class InMemory(MemoryFileUploadHandler):
    """Keeps the upload in memory whatever its size (UploadLimit bounds it)."""

    def handle_raw_input(self, *args: Any, **kwargs: Any) -> None:
        self.activated = True


def declared_length(request: HttpRequest) -> int:
    """The body length the client declared, or 0 when it declared none (or nonsense)."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def limit_uploads(request: HttpRequest, limit: int) -> UploadLimit:
    """Install the handlers on `request` before its body is read; the returned handler says
    afterwards whether the limit was passed."""
    handler = UploadLimit(request, limit)
    request.upload_handlers = [handler, InMemory(request)]
    return handler
