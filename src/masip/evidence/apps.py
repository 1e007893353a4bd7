from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "masip.evidence"
    verbose_name = "Evidence"

    def ready(self) -> None:
        from masip.core.rotation import register_encrypted_files
        from masip.evidence.rotation import EVIDENCE_FILES

        # `rotate_keys` moves evidence files onto the primary key after the database values.
        register_encrypted_files(EVIDENCE_FILES)
