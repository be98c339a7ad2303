"""Coverage planner: what the sensors see over terrain, where the border gaps are, where new towers go.

Lives here: DEM reading (`dem`), generated terrain (`terrain`), the viewshed kernel
(`viewshed`), sensors as observers (`observers`), sight over a DEM or smooth earth (`sight`),
border coverage and gaps (`assessment`), tower placement (`placement`) and the report writers
(`report`). May import borderwatch.geo and borderwatch.maps; nothing else imports it but the
CLI, the demo and the API.
"""

from borderwatch.coverage.assessment import CoverageResult, Gap, assess_coverage
from borderwatch.coverage.dem import Dem, DemError
from borderwatch.coverage.observers import TARGET_HEIGHT_M, Observer, TargetClass
from borderwatch.coverage.sight import DemSight, SightModel, SmoothEarthSight

__all__ = [
    "TARGET_HEIGHT_M",
    "CoverageResult",
    "Dem",
    "DemError",
    "DemSight",
    "Gap",
    "Observer",
    "SightModel",
    "SmoothEarthSight",
    "TargetClass",
    "assess_coverage",
]
