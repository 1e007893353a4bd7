from django.apps import AppConfig


class TimelineConfig(AppConfig):
    name = "masip.timeline"
    label = "timeline"
    verbose_name = "Timeline: behaviours, red flags and escalation"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from masip.timeline.taxonomy import behaviours_sync

        # The taxonomy is data (data/behaviours.yaml): every migrate brings the table in line.
        post_migrate.connect(behaviours_sync, sender=self, dispatch_uid="timeline_behaviours_sync")
