"""The interventions of a case, one module per part; Django finds the models through here."""

from masip.interventions.models_legal import *  # noqa: F403
from masip.interventions.models_perpetrator import *  # noqa: F403
from masip.interventions.models_safety import *  # noqa: F403
from masip.interventions.models_vcop import *  # noqa: F403
