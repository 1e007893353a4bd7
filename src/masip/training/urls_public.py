"""Training URLs: public (see urls.py for how the parts are composed). No login.

The offer's URLs start with a unit's code (`/training/nsu/`). The public part is composed first,
so a bare `<slug>/` would also catch any other part's one-segment URL (`/training/topics/`):
the converter matches only the code of an existing unit and lets every other path fall through
to the parts after it.
"""

from typing import Any

from django.urls import URLPattern, path, register_converter
from django.urls.converters import SlugConverter

from masip.training import views_public


class UnitCodeConverter(SlugConverter):
    def to_python(self, value: str) -> Any:
        from masip.accounts.models import Unit

        if not Unit.objects.filter(code__iexact=value).exists():
            raise ValueError(value)  # not a unit: no match, the resolver tries the next pattern
        return value


register_converter(UnitCodeConverter, "unit_code")

urlpatterns: list[URLPattern] = [
    path("", views_public.offer, name="offer"),
    path("<unit_code:unit_code>/", views_public.offer_unit, name="offer_unit"),
    path("<unit_code:unit_code>/enquire/", views_public.enquire, name="enquire"),
    path("<unit_code:unit_code>/enquiry-sent/", views_public.enquiry_sent, name="enquiry_sent"),
]
