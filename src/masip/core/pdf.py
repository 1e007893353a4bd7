"""PDFs from HTML templates (panel minutes, quarterly reports) with WeasyPrint, loading nothing
from outside: the print templates carry their own CSS and inline SVG."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string


class PdfUnavailable(Exception):
    """WeasyPrint's native libraries (Pango, HarfBuzz) are missing on this server."""


def _weasyprint() -> Any:
    try:
        import weasyprint  # type: ignore[import-untyped]
    except OSError as missing:  # the Python package is there, its native libraries are not
        raise PdfUnavailable(str(missing)) from missing
    return weasyprint


def _refusing_fetcher(weasyprint: Any) -> Any:
    """A fetcher that loads nothing: any URL in a print template is a mistake that must not
    reach the network or the file system."""

    class RefuseEverything(weasyprint.urls.URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            raise ValueError(f"masip's PDFs load no external resource ({url[:80]})")

    return RefuseEverything()


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    """The template rendered as a PDF. Raises PdfUnavailable when WeasyPrint cannot run here."""
    weasyprint = _weasyprint()
    html = render_to_string(template, context)
    pdf: bytes = weasyprint.HTML(string=html, url_fetcher=_refusing_fetcher(weasyprint)).write_pdf()
    return pdf
