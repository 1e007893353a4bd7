"""Models of the interventions app: legal."""

__all__: list[str] = []
