"""URLs of the panel's meetings part: `urlpatterns` under /panel/, `case_urlpatterns` under
/cases/<case_id>/panel/ (composed into the two namespaces by masip.panel.urls)."""

from django.urls import URLPattern, path

from masip.panel import views_meetings as views

urlpatterns: list[URLPattern] = [
    path("", views.meeting_list, name="meetings"),
    path("meetings/add/", views.meeting_add, name="meeting_add"),
    path("meetings/<uuid:meeting_id>/", views.meeting_detail, name="meeting_detail"),
    path("meetings/<uuid:meeting_id>/edit/", views.meeting_edit, name="meeting_edit"),
    path("meetings/<uuid:meeting_id>/cancel/", views.meeting_cancel, name="meeting_cancel"),
    path("meetings/<uuid:meeting_id>/members/", views.meeting_members, name="meeting_members"),
    path("meetings/<uuid:meeting_id>/members/invite/", views.meeting_invite, name="meeting_invite"),
    path("meetings/<uuid:meeting_id>/members/external/", views.meeting_add_external, name="meeting_add_external"),
    path("meetings/<uuid:meeting_id>/members/remove/", views.meeting_remove_member, name="meeting_remove_member"),
    path("meetings/<uuid:meeting_id>/attendance/", views.meeting_attendance, name="meeting_attendance"),
    path("meetings/<uuid:meeting_id>/open/", views.meeting_open, name="meeting_open"),
    path("meetings/<uuid:meeting_id>/close/", views.meeting_close, name="meeting_close"),
    path("meetings/<uuid:meeting_id>/declarations/add/", views.meeting_declare, name="meeting_declare"),
    path("schedules/", views.schedule_list, name="schedules"),
    path("schedules/add/", views.schedule_add, name="schedule_add"),
    path("schedules/<int:schedule_id>/edit/", views.schedule_edit, name="schedule_edit"),
    path("schedules/<int:schedule_id>/meetings/", views.schedule_generate, name="schedule_generate"),
    path("quorum/", views.quorum, name="quorum"),
    path("calendar/", views.calendar, name="calendar"),
    path("calendar/<str:feed_token>.ics", views.calendar_feed, name="calendar_feed"),
]
case_urlpatterns: list[URLPattern] = []
