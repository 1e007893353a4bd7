"""Models of the interventions app: perpetrator."""

__all__: list[str] = []
