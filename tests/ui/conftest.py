"""Browser tests of the web UI: Debian's chromium driven by Playwright, against a real `wfexec server`.

One browser per test module; each flow saves a screenshot under `$WFEXEC_TEST_ARTIFACTS` (default
`test-artifacts/` at the top of the checkout).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.server.conftest import ServerProcess, make_server
from tests.support.waiting import wait_for

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(os.environ.get("WFEXEC_TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts")) / "ui"


def chromium_path() -> str:
    path = shutil.which("chromium")
    if not path:
        raise RuntimeError("Debian's chromium is not installed: `make test` installs it (APT_PACKAGES)")
    return path


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with make_server(tmp_path_factory.mktemp("ui-home")) as srv:
        yield srv


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A 1280×800 page; page errors fail the test; a screenshot is saved at the end, pass or fail."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(20_000)
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield pg
    finally:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        try:
            pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"))
        finally:
            context.close()
    assert not errors, f"errors in the page: {errors}"


def api(server: ServerProcess, method: str, path: str, body: Any = None) -> Any:
    res = requests.request(method, server.url + path, json=body, timeout=30)
    assert res.status_code < 300, f"{method} {path}: {res.status_code} {res.text}"
    return res.json() if res.content else None


def create_workflow(server: ServerProcess, workflow: dict[str, Any], ns: str = "default") -> str:
    return api(server, "POST", f"/api/v1/workflows/{ns}", {"namespace": ns, "workflow": workflow})["metadata"]["name"]


def workflow(server: ServerProcess, name: str, ns: str = "default") -> dict[str, Any]:
    return api(server, "GET", f"/api/v1/workflows/{ns}/{name}")


def wait_phase(server: ServerProcess, name: str, phases: tuple[str, ...], timeout: float = 90) -> dict[str, Any]:
    return wait_for(lambda: (wf := workflow(server, name)) and (wf.get("status") or {}).get("phase") in phases and wf,
                    timeout, f"{name} to reach {phases}", every=0.1)


T0, T1 = "2026-01-01T00:00:00Z", "2026-01-01T00:05:00Z"


#: The time the seeded runs of the list tests count from.
SEED_BASE = datetime(2026, 1, 1, tzinfo=UTC)


def at(minutes: float) -> str:
    """A store time `minutes` after SEED_BASE."""
    return (SEED_BASE + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def seed_run(home: Path, name: str, phase: str, nodes: list[dict[str, Any]], ns: str = "default", *,
             created: str = T0, started: str | None = T0, finished: str | None = T1) -> None:
    """A run written straight into the store under `home` (Argo's node shapes), for views that need a
    run to show but not the engine that made it."""
    import uuid

    from wfexec.engine.store import RunRecord, Store

    uid = str(uuid.uuid4())
    manifest = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
                "metadata": {"name": name, "namespace": ns, "uid": uid, "creationTimestamp": created},
                "spec": {"entrypoint": "main", "templates": [
                    {"name": "main", "container": {"image": "busybox", "command": ["true"]}}]}}
    store = Store(home / "runs.db")
    store.create_run(RunRecord(name=name, uid=uid, namespace=ns, phase=phase, message=None, created_at=created,
                               started_at=started, finished_at=finished, manifest=manifest, options={}, status={},
                               engine_pid=None, control=None))
    if nodes:
        store.put_nodes(name, nodes)
