"""Models of the interventions app: vcop."""

__all__: list[str] = []
