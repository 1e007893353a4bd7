from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "masip.training"
    label = "training"
    verbose_name = "Training package: topics, agendas, enquiries, deliveries, attendance and feedback"
