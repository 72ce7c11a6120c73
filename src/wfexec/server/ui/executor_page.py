"""The executor page's data: what `wfexec executor show` and `wfexec doctor` say, and `executor set`.

The same functions as the CLI commands (config loading, doctor's diagnosis, `set_executor`), so
the browser and the terminal cannot disagree. Choosing the docker executor where the doctor
finds it cannot work needs an explicit confirmation, as the doctor warns in the terminal.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from wfexec.cluster.doctor import Report, diagnose, local_blockers
from wfexec.cluster.facts import local_facts
from wfexec.config import EXECUTORS, RUNTIMES, default_config_file, load_config, set_executor
from wfexec.errors import ConfigError


@dataclass
class ExecutorState:
    executor: str
    executor_source: str
    runtime: str
    runtime_source: str
    config_file: str  # the file a change is written to
    choices: list[str]
    runtimes: list[str]
    doctor: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ChangeRefused(Exception):
    """The change needs a confirmation: what the doctor says against it."""

    problems: list[str]


def _report(executor: str, source: str) -> Report:
    facts = local_facts()
    docker_line = (f"Docker daemon: reachable, version {facts.docker_version}" if facts.docker_reachable
                   else f"Docker daemon: not reachable ({facts.docker_error or 'no answer'})")
    return diagnose(target="local", configured=executor, source=source, blockers=local_blockers(facts),
                    facts=[docker_line], prefer_stable=False, missing=[], warnings=[])


def current_state() -> ExecutorState:
    cfg = load_config(None)
    runtime, runtime_source = (cfg.runtime, f"runtime: in {cfg.path}") if cfg.runtime else (
        "host", "default (no runtime: key in the config)")
    return ExecutorState(executor=cfg.executor, executor_source=cfg.executor_source, runtime=runtime,
                         runtime_source=runtime_source, config_file=str(default_config_file(None)),
                         choices=list(EXECUTORS), runtimes=list(RUNTIMES),
                         doctor=_report(cfg.executor, cfg.executor_source).to_dict())


def change_executor(value: str, confirmed: bool) -> ExecutorState:
    """Write containerRuntimeExecutor as `wfexec executor set` does and read it back."""
    if value not in EXECUTORS:
        raise ConfigError(f"executor: {value!r} is not supported: expected one of {', '.join(EXECUTORS)}")
    if not confirmed:
        problems = _report(value, "the requested change").problems
        if problems:
            raise ChangeRefused(problems)
    set_executor(default_config_file(None), value)
    return current_state()
