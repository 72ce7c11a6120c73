"""An in-memory Backend: pods "run" as a few statements read from their command, in a thread,
without a process, a sandbox or a container. The engine drives it as it drives a real runtime,
so the control-flow rules (retries, failFast, depends, hooks, parallelism, deadlines) can be
checked in milliseconds, the way Argo's controller tests drive fake pods.

The statements of a pod (its script's source, the text after `sh -c`, or its command and args),
one per line or separated by `;`:

    echo TEXT            TEXT and a newline on stdout (outputs.result)
    write PATH TEXT      the file at PATH holds TEXT (an output parameter's valueFrom.path)
    sleep SECONDS        wait; a kill or the pod's deadline ends the wait
    exit N               end with exit code N
    exit N if A OP B     the same, only when A OP B holds (OP: < <= == != >= >; numbers compared
                         as numbers), e.g. `exit 1 if {{retries}} < 2`

The pod ends with exit code 0 after its last statement.
"""

from __future__ import annotations

import operator
import shlex
import threading
import time
from dataclasses import dataclass, field

from wfexec.engine.pod_plan import SCRIPT_PATH
from wfexec.executors.result import DEADLINE_MESSAGE
from wfexec.pod import OnDone, PodPlan, PodResult

TERM_EXIT = 143  # 128 + SIGTERM, as a killed container reports
COMPARISONS = {"<": operator.lt, "<=": operator.le, "==": operator.eq, "!=": operator.ne, ">=": operator.ge,
               ">": operator.gt}


class MemoryPodError(Exception):
    """A statement the in-memory backend does not know."""


@dataclass
class MemoryHandle:
    pod: PodPlan
    stop: threading.Event = field(default_factory=threading.Event)


@dataclass
class PodRecord:
    """What the backend saw of one pod: when it ran and how it ended."""

    pod_name: str
    node_id: str
    template: str
    started: float
    ended: float | None = None
    exit_code: int | None = None


def program_of(pod: PodPlan) -> str:
    """The statements of the pod's main container."""
    tokens = [*(pod.main.command or []), *(pod.main.args or [])]
    if SCRIPT_PATH in tokens:
        return (pod.argo_dir / "staging" / "script").read_text()
    if len(tokens) >= 3 and tokens[1] == "-c":
        return tokens[2]
    return shlex.join(tokens)


def _number_or_text(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text


def _holds(left: str, op: str, right: str) -> bool:
    if op not in COMPARISONS:
        raise MemoryPodError(f"unknown comparison {op!r}")
    a, b = _number_or_text(left), _number_or_text(right)
    if isinstance(a, float) != isinstance(b, float):
        a, b = str(left), str(right)
    return bool(COMPARISONS[op](a, b))


class MemoryBackend:
    runtime = "memory"
    executor = "memory"

    def __init__(self) -> None:
        self.pods: list[PodRecord] = []
        self.max_running = 0
        self._running = 0
        self._lock = threading.Lock()

    # -- what tests look at ----------------------------------------------------------------------
    def started_templates(self) -> list[str]:
        """Template names in the order their pods started."""
        with self._lock:
            return [p.template for p in sorted(self.pods, key=lambda p: p.started)]

    # -- the Backend protocol --------------------------------------------------------------------
    def check(self) -> None:
        pass

    def start(self, pod: PodPlan, on_done: OnDone) -> MemoryHandle:
        handle = MemoryHandle(pod)
        record = PodRecord(pod.pod_name, pod.node_id, str(pod.template.get("name", "")), time.monotonic())
        with self._lock:
            self.pods.append(record)
            self._running += 1
            self.max_running = max(self.max_running, self._running)
        threading.Thread(target=self._run, args=(handle, record, on_done), daemon=True).start()
        return handle

    def kill(self, handle: MemoryHandle, grace: float) -> None:
        handle.stop.set()

    def ip(self, handle: MemoryHandle) -> str | None:
        return "127.0.0.1"

    def reattach(self, pod: PodPlan, on_done: OnDone) -> MemoryHandle | None:
        return None  # nothing outlives an engine here

    def close(self) -> None:
        pass

    # -- a pod -----------------------------------------------------------------------------------
    def _run(self, handle: MemoryHandle, record: PodRecord, on_done: OnDone) -> None:
        pod = handle.pod
        deadline = None if pod.deadline_seconds is None else time.monotonic() + pod.deadline_seconds
        try:
            code, stdout, files, deadline_hit = self._interpret(program_of(pod), handle, deadline)
        except (MemoryPodError, OSError, ValueError) as exc:
            result = PodResult(phase="Error", message=f"memory backend: {exc}")
        else:
            params = {p.name: files.get(p.path) for p in pod.output_parameters}
            text = stdout[:-1] if stdout.endswith("\n") else stdout
            if deadline_hit:
                phase, message = "Failed", DEADLINE_MESSAGE
            elif code == 0:
                phase, message = "Succeeded", ""
            else:
                phase, message = "Failed", f"Error (exit code {code})"
            result = PodResult(phase=phase, message=message, exit_code=code, result=text, parameters=params,
                               container_exit_codes={pod.main_container: code}, ip="127.0.0.1")
            record.exit_code = code
        with self._lock:
            self._running -= 1
            record.ended = time.monotonic()
        on_done(result)

    def _interpret(self, program: str, handle: MemoryHandle,
                   deadline: float | None) -> tuple[int, str, dict[str, str], bool]:
        stdout: list[str] = []
        files: dict[str, str] = {}
        for line in program.replace(";", "\n").splitlines():
            if handle.stop.is_set():
                return TERM_EXIT, "".join(stdout), files, False
            words = shlex.split(line)
            if not words:
                continue
            verb, rest = words[0], words[1:]
            if verb == "echo":
                stdout.append(" ".join(rest) + "\n")
            elif verb == "write" and rest:
                files[rest[0]] = " ".join(rest[1:])
            elif verb == "sleep" and len(rest) == 1:
                end = time.monotonic() + float(rest[0])
                wait_until = end if deadline is None else min(end, deadline)
                handle.stop.wait(max(0.0, wait_until - time.monotonic()))
                if handle.stop.is_set():
                    return TERM_EXIT, "".join(stdout), files, False
                if deadline is not None and time.monotonic() >= deadline:
                    return TERM_EXIT, "".join(stdout), files, True
            elif verb == "exit" and len(rest) == 1:
                return int(rest[0]), "".join(stdout), files, False
            elif verb == "exit" and len(rest) == 5 and rest[1] == "if":
                if _holds(rest[2], rest[3], rest[4]):
                    return int(rest[0]), "".join(stdout), files, False
            else:
                raise MemoryPodError(f"unknown statement {line.strip()!r}")
        return 0, "".join(stdout), files, False
