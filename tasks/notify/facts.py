"""The alert vocabulary shared by the county's and the city's alerts: a fact, an event, and how they read."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

from junheng.settings import DEFAULT_COUNTY_CODE
from junheng.spec import SECTION_LABELS

STATE_LABELS = {"open": "新增", "changed": "变化", "resolved": "已解除"}


@dataclass(frozen=True)
class AlertFact:
    """What the warehouse says now about one alert key."""

    period: str
    scope: str  # school | county
    school_code: str | None
    section: str | None
    rule: str
    severity: str
    value: str | None
    threshold: str | None
    message: str
    county_code: str = DEFAULT_COUNTY_CODE

    @property
    def key(self) -> str:
        # The county first: two counties' county-scope alerts of one period and rule are two alerts.
        parts = [self.county_code, self.period, self.scope, self.school_code or "", self.section or "", self.rule]
        raw = "|".join(parts)
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def num_text(v: object) -> str | None:
    """Unrounded text of a number (repr round-trips a float exactly)."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return repr(float(v)) if isinstance(v, float | int) else str(v)


def section_zh(section: str | None) -> str:
    """小学/初中 for a section code; "" for none."""
    return SECTION_LABELS.get(section or "", "") if section else ""


@dataclass
class AlertEvent:
    """One change of an alert's state, as recorded in audit.alert_event and queued in the outbox."""

    event_id: str
    alert_key: str
    state: str  # open | changed | resolved
    fact: AlertFact


def who(f: AlertFact) -> str:
    """Where an alert applies, for people: 全县 or 学校 <code>, then the section."""
    where = "全县" if f.scope == "county" else f"学校 {f.school_code}"
    return f"{where}{section_zh(f.section)}"
