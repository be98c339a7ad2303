"""Alerts: rules that turn border events into prioritised alerts, and the alert lifecycle.

Pure domain code (no I/O but reading a rules file): may import pydantic, yaml and the standard
library only. The service layer applies these to rows in the store.
"""

from borderwatch.alerts.lifecycle import (
    OUTCOMES,
    STATES,
    LifecycleError,
    Outcome,
    State,
    check_transition,
)
from borderwatch.alerts.rules import AlertRules, EventFacts, Match, Rule, RuleError, load_rules

__all__ = [
    "OUTCOMES",
    "STATES",
    "AlertRules",
    "EventFacts",
    "LifecycleError",
    "Match",
    "Outcome",
    "Rule",
    "RuleError",
    "State",
    "check_transition",
    "load_rules",
]
