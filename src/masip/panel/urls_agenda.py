"""URLs of the panel's agenda part: `urlpatterns` under /panel/, `case_urlpatterns` under
/cases/<case_id>/panel/ (composed into the two namespaces by masip.panel.urls)."""

from django.urls import URLPattern, path

from masip.panel import views_agenda

urlpatterns: list[URLPattern] = [
    path("meetings/<str:meeting_id>/agenda/", views_agenda.agenda, name="agenda"),
    path("meetings/<str:meeting_id>/agenda/build/", views_agenda.agenda_build, name="agenda_build"),
    path("meetings/<str:meeting_id>/agenda/add/", views_agenda.agenda_item_add, name="agenda_item_add"),
    path("meetings/<str:meeting_id>/items/<str:item_id>/", views_agenda.item_detail, name="item_detail"),
    path("meetings/<str:meeting_id>/items/<str:item_id>/move/", views_agenda.agenda_item_move, name="agenda_item_move"),
    path(
        "meetings/<str:meeting_id>/items/<str:item_id>/withdraw/",
        views_agenda.agenda_item_withdraw,
        name="agenda_item_withdraw",
    ),
    path("requests/", views_agenda.requests, name="requests"),
    path("requests/<str:request_id>/decline/", views_agenda.request_decline, name="request_decline"),
]
case_urlpatterns: list[URLPattern] = [
    path("request/", views_agenda.request_create, name="request"),
]
