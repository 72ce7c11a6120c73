"""`kill -9` of the server (and of the run's engine with it) mid-run: restarted, the server continues the
run, the running pod is re-attached, and no step runs twice."""

from __future__ import annotations

import os
import signal
import sqlite3
import time

import requests

from tests.server.workflows import create, get, steps_wf, wait_node, wait_phase


def _engine_pid(home, name: str) -> int | None:
    with sqlite3.connect(home / "runs.db") as db:
        row = db.execute("SELECT engine_pid FROM runs WHERE name=?", (name,)).fetchone()
    return row[0] if row else None


def _log(url: str, name: str, pod_display: str, wf: dict) -> list[str]:
    node = next(n for n in wf["status"]["nodes"].values() if n["displayName"] == pod_display)
    r = requests.get(f"{url}/api/v1/workflows/default/{name}/log", params={"podName": node["id"]}, timeout=10)
    return [line for line in r.text.splitlines() if line.strip()]


def test_kill9_server_and_engine_mid_run(server_factory, tmp_path) -> None:
    srv = server_factory()
    name = create(srv.url, steps_wf([("first", "date +%s%N"), ("long", "echo start-$(date +%s%N); sleep 3; echo end"),
                                     ("last", "echo done")]))
    wait_node(srv.url, name, "long", "Running")
    deadline = time.monotonic() + 10
    while not (before := _log(srv.url, name, "long", get(srv.url, name))) and time.monotonic() < deadline:
        time.sleep(0.05)
    wf = get(srv.url, name)
    first = next(n for n in wf["status"]["nodes"].values() if n["displayName"] == "first")
    engine = _engine_pid(srv.home, name)
    assert engine and before, (engine, before)
    srv.kill9()
    os.kill(engine, signal.SIGKILL)
    time.sleep(0.5)
    srv.start()  # the same home and port
    done = wait_phase(srv.url, name, timeout=60)
    assert done["status"]["phase"] == "Succeeded", done["status"]
    assert _engine_pid(srv.home, name) != engine
    nodes = {n["displayName"]: n for n in done["status"]["nodes"].values()}
    assert nodes["first"]["outputs"]["result"] == first["outputs"]["result"]  # not run again
    after = _log(srv.url, name, "long", done)
    starts = [line for line in after if "start-" in line]
    assert starts == before[:1] and any('"end"' in line for line in after)  # re-attached, not restarted
    assert nodes["last"]["outputs"]["result"] == "done"
