"""engine/forked.py on its own: an engine forked ahead of its run exits when none comes, says in its
log when the run it is handed cannot be driven, and a dead one is reported so the caller starts another."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent("""
    import os, select, signal, sys, time
    from wfexec.engine import forked
    from wfexec.engine.store import pid_alive

    def gone(pid):
        end = time.monotonic() + 20
        while pid_alive(pid) and time.monotonic() < end:
            time.sleep(0.01)
        return not pid_alive(pid)

    what = sys.argv[1]
    warm = forked._warm

    def saying():  # a warning while the engine waits (a missing bubblewrap, say) belongs in the run's log
        print("said while warming", file=sys.stderr)
        return warm()

    forked._warm = saying
    engine = forked.prepare()
    assert engine is not None and engine.pid != os.getpid()
    if what == "discard":
        engine.discard()
        print("gone" if gone(engine.pid) else "alive")
    elif what == "killed":
        os.kill(engine.pid, signal.SIGKILL)
        gone(engine.pid)
        print(engine.hand("no-such-run", True))
    else:
        pid, done = engine.hand("no-such-run", True)
        ready, _, _ = select.select([done], [], [], 20)
        print("ended" if ready and os.read(done, 1) == b"" and gone(pid) else "waiting")
""")


def _run(home: Path, what: str) -> str:
    env = dict(os.environ, WFEXEC_HOME=str(home))
    proc = subprocess.run([sys.executable, "-c", SCRIPT, what], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_an_engine_never_handed_a_run_exits(tmp_path: Path) -> None:
    assert _run(tmp_path, "discard") == "gone"


def test_a_dead_engine_is_not_handed_the_run(tmp_path: Path) -> None:
    assert _run(tmp_path, "killed") == "None"


def test_a_run_the_engine_cannot_drive_is_said_in_its_log_and_ends_the_wait(tmp_path: Path) -> None:
    assert _run(tmp_path, "handed") == "ended"
    log = (tmp_path / "runs" / "no-such-run" / "engine.log").read_text()
    assert "no run named 'no-such-run'" in log and "Traceback" not in log
    assert log.index("said while warming") < log.index("no run named")
