"""The alert lifecycle: new → acknowledged → dispatched → resolved (with an outcome).

Which moves are allowed and what each needs; the store and clock live in the service layer.
"""

from __future__ import annotations

from typing import Literal, get_args

State = Literal["new", "acknowledged", "dispatched", "resolved"]
Outcome = Literal["interdicted", "false_alarm", "animal", "friendly", "lost", "other"]
STATES: tuple[str, ...] = get_args(State)
OUTCOMES: tuple[str, ...] = get_args(Outcome)

# A supervisor may resolve straight from any open state (a false alarm needs no dispatch), and an
# operator may dispatch without a separate acknowledge (dispatching is acknowledging).
ALLOWED: dict[str, frozenset[str]] = {
    "new": frozenset({"acknowledged", "dispatched", "resolved"}),
    "acknowledged": frozenset({"dispatched", "resolved"}),
    "dispatched": frozenset({"resolved", "acknowledged"}),  # back to acknowledged: patrol recalled
    "resolved": frozenset(),
}


class LifecycleError(ValueError):
    """A move the lifecycle does not allow; the message says which and why."""


def check_transition(
    alert_id: int, current: str, target: str, outcome: str | None = None, patrol_id: str | None = None
) -> None:
    """Raise LifecycleError unless alert `alert_id` may move from `current` to `target`."""
    if target not in STATES:
        raise LifecycleError(f"alert {alert_id}: unknown state {target!r}; expected one of {', '.join(STATES)}")
    if target not in ALLOWED.get(current, frozenset()):
        raise LifecycleError(f"alert {alert_id}: cannot move from {current!r} to {target!r}")
    if target == "resolved" and outcome not in OUTCOMES:
        raise LifecycleError(
            f"alert {alert_id}: field 'outcome' must be one of {', '.join(OUTCOMES)} to resolve, not {outcome!r}"
        )
    if target == "dispatched" and not patrol_id:
        raise LifecycleError(f"alert {alert_id}: field 'patrol_id' is required to dispatch")
