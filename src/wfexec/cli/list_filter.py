"""The filter flags of `list` and `delete` (`--running`, `--completed`, `--status`, `--prefix`, `-l`, `--since`,
`--older`), parsed once and applied two ways: wholly to the local store's runs, or split for a server into the
label selector Argo's API takes and the rest, tested on the answer, as argo's CLI splits them."""

from __future__ import annotations

import argparse
import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from wfexec.engine import nodes as N
from wfexec.engine.status import LABEL_COMPLETED, LABEL_PHASE, run_labels
from wfexec.errors import WfexecError

if TYPE_CHECKING:
    from wfexec.engine.store import RunRecord

PHASES = (N.PENDING, N.RUNNING, N.SUCCEEDED, N.FAILED, N.ERROR)


@dataclass(frozen=True)
class ListFilter:
    running: bool
    completed: bool
    phases: tuple[str, ...]
    prefix: str | None
    since: dt.datetime | None  # created after this
    older: dt.datetime | None  # finished before this
    selectors: tuple[str, ...]

    @classmethod
    def of(cls, args: argparse.Namespace) -> ListFilter:
        """The flags on `args` (those a verb lacks count as not given); a bad value is a WfexecError."""
        selectors = tuple(getattr(args, "selector", None) or [])
        if selectors:  # imported only when used: `list` starts fast
            from wfexec.cli.selectors import label_selector

            for text in selectors:
                label_selector(text)  # a bad selector is an error even when no run is there to test
        since, older = getattr(args, "since", None), getattr(args, "older", None)
        since_at = older_at = None
        if since or older:
            from wfexec.cli.timespec import ago, parse_duration

            since_at = ago(parse_duration(since, "--since")) if since else None
            older_at = ago(parse_duration(older, "--older")) if older else None
        return cls(running=bool(getattr(args, "running", False)), completed=bool(getattr(args, "completed", False)),
                   phases=status_phases(getattr(args, "status", None)), prefix=getattr(args, "prefix", None) or None,
                   since=since_at, older=older_at, selectors=selectors)

    def api_label_selector(self) -> str:
        """What Argo's `listOptions.labelSelector` can say: `-l`, the phases and completed (`--older` too: only
        finished runs have ended before a time)."""
        terms = list(self.selectors)
        if self.phases:
            terms.append(f"{LABEL_PHASE} in ({','.join(self.phases)})")
        if self.completed or self.older:
            terms.append(f"{LABEL_COMPLETED}=true")
        if self.running:
            terms.append(f"{LABEL_COMPLETED}!=true")
        return ",".join(terms)

    def api_times(self) -> dict[str, str]:
        """`createdAfter`/`finishedBefore` for an API that takes them (Argo's v4 list does; an older server
        ignores them): a second wider than the flags, for `keeps_beyond_api` makes the exact cut either way."""
        out = {}
        if self.since:
            out["createdAfter"] = (self.since - dt.timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        if self.older:
            out["finishedBefore"] = (self.older + dt.timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        return out

    def keeps_beyond_api(self, rec: RunRecord) -> bool:
        """What the API cannot say, tested on the answer: the name prefix and the two times."""
        if self.prefix and not rec.name.startswith(self.prefix):
            return False
        if not (self.since or self.older):
            return True
        from wfexec.cli.timespec import stamp  # imported only when used: `list` starts fast

        if self.since and (stamp(rec.created_at) or self.since) < self.since:
            return False
        return not (self.older and (stamp(rec.finished_at) or self.older) > self.older)

    def keeps(self, rec: RunRecord) -> bool:
        """Every flag, for a run of the local store."""
        ended = rec.phase not in (N.PENDING, N.RUNNING)
        if (self.running and ended) or ((self.completed or self.older) and not ended):
            return False
        if self.phases and rec.phase not in self.phases:
            return False
        if self.selectors:
            from wfexec.cli.selectors import labels_match

            if not labels_match(list(self.selectors), run_labels(rec)):  # Argo's phase/completed labels too
                return False
        return self.keeps_beyond_api(rec)


def status_phases(text: str | None) -> tuple[str, ...]:
    """`--status Running,failed` as the phases it names, in the spelling of the phase label."""
    if not text:
        return ()
    phases = tuple(dict.fromkeys(p.strip().capitalize() for p in text.split(",") if p.strip()))
    unknown = sorted(set(phases) - set(PHASES))
    if unknown:
        raise WfexecError(f"--status {text!r}: unknown phase {unknown[0]!r} (expected {', '.join(PHASES)})")
    return phases
