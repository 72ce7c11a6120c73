"""bwrap failing before the command starts (Docker mounting an overlay while bwrap binds the host
root: "Can't bind mount /oldroot/ … Invalid argument") is tried again, and only then.

A wrapper stands in for bwrap: it counts its calls, fails the first N of them the way bwrap fails
in its set-up (a message, exit 1, its --block-fd byte unread), then runs the real bwrap."""

from __future__ import annotations

import shlex
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.runtime_host.test_host_backend import Done, pod, sh
from wfexec.emissary.run import SANDBOX_RETRIES
from wfexec.runtimes.host.backend import HostBackend

SETUP_ERROR = ("bwrap: Can't bind mount /oldroot/ on /newroot/: Unable to apply mount flags: remount "
               '"/newroot/var/lib/docker/overlay2/x-init/merged": Invalid argument')


def flaky_bwrap(tmp: Path, failures: int) -> tuple[Path, Path]:
    real = shutil.which("bwrap")
    assert real, "these tests need bubblewrap (apt-get install bubblewrap)"
    calls = tmp / "calls"
    message = tmp / "message"
    message.write_text(SETUP_ERROR + "\n")
    wrapper = tmp / "bwrap"
    wrapper.write_text(f"""#!/bin/sh
echo x >> {calls}
if [ "$(wc -l < {calls})" -le {failures} ]; then
  cat {message} >&2
  exit 1
fi
exec {real} "$@"
""")
    wrapper.chmod(0o755)
    return wrapper, calls


@pytest.fixture
def make_backend() -> Iterator[Callable[[Path], HostBackend]]:
    made: list[HostBackend] = []

    def make(bwrap: Path) -> HostBackend:
        b = HostBackend({"sandbox": "bwrap", "bwrap": str(bwrap)})
        b.check()
        made.append(b)
        return b
    yield make
    for b in made:
        b.close()


def test_a_transient_setup_failure_is_retried_and_kept_out_of_the_log(tmp_path: Path, make_backend: Callable[[Path], HostBackend]) -> None:
    wrapper, calls = flaky_bwrap(tmp_path, failures=2)
    done = Done()
    make_backend(wrapper).start(pod(tmp_path, "p", sh("echo out; echo err >&2")), done)
    r = done.wait()
    assert (r.phase, r.exit_code, r.result) == ("Succeeded", 0, "out")
    assert len(calls.read_text().splitlines()) == 3
    assert r.logs["main"].read_text() == "out\nerr\n", "bwrap's set-up message must not reach the log"


def test_a_setup_that_keeps_failing_ends_the_step_with_bwraps_message(tmp_path: Path, make_backend: Callable[[Path], HostBackend]) -> None:
    wrapper, calls = flaky_bwrap(tmp_path, failures=1000)
    done = Done()
    make_backend(wrapper).start(pod(tmp_path, "p", sh("echo never")), done)
    r = done.wait()
    assert (r.phase, r.exit_code) == ("Failed", 1)
    assert len(calls.read_text().splitlines()) == 1 + SANDBOX_RETRIES
    assert r.logs["main"].read_text() == SETUP_ERROR + "\n", "the last try's message, once"


def test_a_command_that_fails_like_bwrap_runs_once(tmp_path: Path, make_backend: Callable[[Path], HostBackend]) -> None:
    """What the command prints does not decide a retry: only whether bwrap's set-up finished."""
    wrapper, calls = flaky_bwrap(tmp_path, failures=0)
    done = Done()
    make_backend(wrapper).start(pod(tmp_path, "p", sh(f"echo {shlex.quote(SETUP_ERROR)} >&2; exit 1")), done)
    r = done.wait()
    assert (r.phase, r.exit_code) == ("Failed", 1)
    assert len(calls.read_text().splitlines()) == 1
    assert r.logs["main"].read_text() == SETUP_ERROR + "\n"
