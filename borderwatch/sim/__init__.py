"""The scenario simulator: movers on the real border seen through the sensor models.

Lives here: scenario files and their validation (`scenario`), mover generators and routes
(`movers`), the step loop that writes detections and ground truth (`engine`), and the body of
the `borderwatch simulate` command (`command`). Shipped scenarios are in `scenarios/`.
May import: geo, sensors, maps (for pictures). Nothing downstream (fusion, alerts, store, api).
"""

from borderwatch.sim.engine import Simulation, iter_records, run_simulation, simulate_to_dir
from borderwatch.sim.scenario import Scenario, ScenarioError, load_scenario, parse_scenario, shipped_scenarios

__all__ = [
    "Scenario",
    "ScenarioError",
    "Simulation",
    "iter_records",
    "load_scenario",
    "parse_scenario",
    "run_simulation",
    "shipped_scenarios",
    "simulate_to_dir",
]
