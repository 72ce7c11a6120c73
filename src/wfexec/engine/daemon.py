"""`python -m wfexec.engine.daemon RUN`: the detached engine behind `submit` without --wait."""

from __future__ import annotations

import sys
from dataclasses import dataclass

from wfexec.engine.api import run_dir, run_foreground
from wfexec.engine.handoff import signal_done, take_done_fd
from wfexec.engine.options import RunOptions
from wfexec.engine.store import Store
from wfexec.errors import WfexecError
from wfexec.pod import Backend


@dataclass
class EarlyBackend:
    """A backend made before the run was known, for the runtime, executor and config in `key`."""

    key: tuple[str, str, str | None]
    backend: Backend


def main(argv: list[str]) -> int:
    return drive(argv[0], take_done_fd())


def drive(name: str, done_fd: int | None, store: Store | None = None, early: EarlyBackend | None = None) -> int:
    """Drive the run to its end; `done_fd` (engine/handoff.py) is closed once it has ended.
    Also the forked engine's body (engine/forked.py), with the store it opened and the backend it
    started while it waited: used when the run wants that runtime, executor and config, else closed."""
    done = _Done(done_fd)
    try:
        store = store or Store()
        backend = None
        if early is not None:
            opts = RunOptions.from_dict(store.get_run(name).options)
            if (opts.runtime, opts.executor, opts.config) == early.key:
                backend = early.backend
            else:
                early.backend.close()
        run_foreground(store, name, backend, on_ended=done.close)
    except WfexecError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - a fault outside the run's loop (engine/fault.py)
        _end_in_error(store, name, exc)
        return 1
    finally:
        done.close()  # the follower wakes now, not at the next look
    return 0


def _end_in_error(store: Store | None, name: str, exc: Exception) -> None:
    from wfexec.engine.fault import end_in_error, fault_message

    message = fault_message(exc, run_dir(name) / "engine.log")
    try:
        end_in_error(store or Store(), name, message)
    except Exception:  # noqa: BLE001 - the store itself fails: the log has said what it could
        import traceback

        traceback.print_exc()


@dataclass
class _Done:
    """The end-of-run pipe, closed once: as soon as the run's end is stored (the backend's own
    shutdown comes after), or when the engine gives up."""

    fd: int | None

    def close(self) -> None:
        fd, self.fd = self.fd, None
        signal_done(fd)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
