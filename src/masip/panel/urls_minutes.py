"""URLs of the panel's minutes part: `urlpatterns` under /panel/, `case_urlpatterns` under
/cases/<case_id>/panel/ (composed into the two namespaces by masip.panel.urls)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
case_urlpatterns: list[URLPattern] = []
