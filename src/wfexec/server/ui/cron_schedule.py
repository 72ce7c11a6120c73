"""When a CronWorkflow fires next: for the cron page, and for API users (Argo's status has no such field).

The rules are read by the scheduler's own `cron_rules`, so the page shows what the scheduler will do.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from croniter import croniter

from wfexec.engine.objects import CRON_WORKFLOW, ObjectStore
from wfexec.engine.store import Store
from wfexec.server.cron import cron_rules, rfc3339


@dataclass
class CronSchedule:
    name: str
    namespace: str
    schedules: list[str]
    timezone: str
    suspended: bool
    next: list[str] = field(default_factory=list)  # the next few times, over all schedules, RFC 3339 UTC

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def next_times(spec: dict[str, Any], now: dt.datetime, count: int = 3) -> list[str]:
    rules = cron_rules(spec)
    times: list[dt.datetime] = []
    for text in rules.schedules:
        it = croniter(text, now.astimezone(rules.timezone))
        times.extend(it.get_next(dt.datetime).astimezone(dt.UTC) for _ in range(count))
    return [rfc3339(t) for t in sorted(set(times))[:count]]


def cron_schedule(store: Store, namespace: str, name: str, now: dt.datetime | None = None) -> CronSchedule:
    obj = ObjectStore(store).get(CRON_WORKFLOW, namespace, name)
    spec = obj.spec
    rules = cron_rules(spec)
    return CronSchedule(name=name, namespace=namespace, schedules=list(rules.schedules),
                        timezone=spec.get("timezone") or "UTC", suspended=rules.suspend,
                        next=[] if rules.suspend else next_times(spec, now or dt.datetime.now(dt.UTC)))
