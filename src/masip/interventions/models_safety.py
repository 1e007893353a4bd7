"""Models of the interventions app: safety."""

__all__: list[str] = []
