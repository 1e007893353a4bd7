"""Assessments of a case: start with an instrument, save a draft, complete, raise with judgement."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
