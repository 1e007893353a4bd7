from django.urls import path

from masip.reports import views_comparison

urlpatterns = [
    path("compare/", views_comparison.comparison, name="comparison"),
]
