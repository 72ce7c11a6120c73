"""A container's log read line by line, each line with the time it was printed.

The emissary (and the docker executor, from Docker's own timestamps) keeps beside each combined log
an index of when its bytes came (`emissary.layout.TIMES_SUFFIX`); a line takes the time of the
index record at or before its first byte. Logs of runs made before the index existed have none:
their lines' time is None, and readers use the step's start instead.

One `LogCursor` follows one log from where its last read ended, across the move from the pod's
directory to the run's `logs/` (same bytes, same offsets), for `wfexec logs` and the server alike.
"""

from __future__ import annotations

import datetime as dt
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path

from wfexec.emissary.layout import TIME_RECORD, TIMES_SUFFIX

READ_CHUNK = 1 << 20


@dataclass(frozen=True)
class LogLine:
    text: str
    time_ns: int | None  # Unix nanoseconds when the line was printed; None: not recorded


@dataclass
class TimeIndex:
    """The records of one `.times` file read so far (offsets ascending)."""

    offsets: list[int] = field(default_factory=list)
    times: list[int] = field(default_factory=list)
    read_to: int = 0  # bytes of the file taken (whole records only)

    def load(self, path: Path) -> None:
        """Take the records added to `path` since the last load (none when it is missing)."""
        try:
            with open(path, "rb") as fh:
                fh.seek(self.read_to)
                data = fh.read()
        except OSError:
            return
        whole = len(data) - len(data) % TIME_RECORD
        for i in range(0, whole, TIME_RECORD):
            self.offsets.append(int.from_bytes(data[i:i + 8], "little"))
            self.times.append(int.from_bytes(data[i + 8:i + 16], "little"))
        self.read_to += whole

    def time_at(self, offset: int) -> int | None:
        i = bisect_right(self.offsets, offset) - 1
        return self.times[i] if i >= 0 else None


def times_path(log: Path) -> Path:
    """The index beside a log: `ctr/<c>/combined.times` live, `logs/<node>/<c>.times` kept."""
    if log.suffix == ".log":
        return log.with_suffix(TIMES_SUFFIX)
    return log.with_name(log.name + TIMES_SUFFIX)


@dataclass
class LogCursor:
    """What of one container's log has been read: whole lines only, until `flush`."""

    offset: int = 0  # bytes of the log read
    partial: bytes = b""  # an unfinished last line, held back
    index: TimeIndex = field(default_factory=TimeIndex)

    def read(self, path: Path, flush: bool, limit: int | None = None) -> tuple[list[LogLine], bool]:
        """The lines added to `path` since the last read (at most `limit` bytes of it), with the unfinished
        last one when `flush`; and whether more is already there to read."""
        self.index.load(times_path(path))  # first: every byte read below has its record by now
        try:
            with open(path, "rb") as fh:
                fh.seek(self.offset)
                data = fh.read() if limit is None else fh.read(limit)
        except OSError:
            return [], False
        more = limit is not None and len(data) == limit
        start = self.offset - len(self.partial)  # where the held-back line began
        self.offset += len(data)
        data = self.partial + data
        if flush and not more:
            self.partial = b""
            whole = data
        else:
            cut = data.rfind(b"\n") + 1
            whole, self.partial = data[:cut], data[cut:]
        lines: list[LogLine] = []
        pos = 0
        pieces = whole.split(b"\n") if whole else []
        for raw in pieces[:-1] if whole.endswith(b"\n") else pieces:
            # lines end at "\n" only, as the kubelet splits them ("\r" of a progress bar stays in its line)
            text = raw[:-1] if raw.endswith(b"\r") else raw
            lines.append(LogLine(text.decode(errors="replace"), self.index.time_at(start + pos)))
            pos += len(raw) + 1
        return lines, more


def rfc3339nano(time_ns: int) -> str:
    """Go's time.RFC3339Nano in UTC, as `kubectl logs --timestamps` and `argo logs --timestamps` print it."""
    secs, frac = divmod(time_ns, 1_000_000_000)
    base = dt.datetime.fromtimestamp(secs, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    digits = f"{frac:09d}".rstrip("0")
    return f"{base}.{digits}Z" if digits else f"{base}Z"


_RFC3339 = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)", re.IGNORECASE)


def parse_rfc3339(text: str) -> int:
    """Unix nanoseconds of an RFC 3339 time (`2026-12-07T01:00:00Z`, fractions to the nanosecond, an offset);
    ValueError naming what was expected otherwise."""
    m = _RFC3339.fullmatch(text.strip())
    if not m:
        raise ValueError(f"{text!r}: expected an RFC 3339 time such as 2026-12-07T01:00:00Z")
    zone = "+00:00" if m.group(3).upper() == "Z" else m.group(3)
    try:
        when = dt.datetime.fromisoformat(m.group(1) + zone)
    except ValueError:
        raise ValueError(f"{text!r}: not a real date and time (expected one such as 2026-12-07T01:00:00Z)") from None
    frac = int((m.group(2) or "0").ljust(9, "0"))
    return int(when.timestamp()) * 1_000_000_000 + frac


def store_time_ns(text: str | None) -> int | None:
    """A store timestamp (`%Y-%m-%dT%H:%M:%SZ`, as nodes' startedAt) in Unix nanoseconds."""
    if not text:
        return None
    try:
        return parse_rfc3339(text)
    except ValueError:
        return None
