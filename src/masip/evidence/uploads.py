"""Upload handlers that keep an evidence file in memory, within the size limit.

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
    def handle_raw_input(self, *args: Any, **kwargs: Any) -> None:
        self.activated = True


def declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0
