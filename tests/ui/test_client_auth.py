"""The UI against a server in client-auth mode: it asks for the token, keeps it for the session (and only
the session), says clearly when a token is refused, and never puts the token in a URL or the server's log."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.server.conftest import ServerProcess, make_server
from tests.ui.conftest import T0, T1, seed_run

pytestmark = pytest.mark.timeout(180)
RUN = "guarded"
WRONG = "wfx_this-token-was-never-issued"


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, str]]:
    home = tmp_path_factory.mktemp("ui-auth-home")
    seed_run(home, RUN, "Succeeded", [
        {"id": RUN, "name": RUN, "displayName": RUN, "type": "Steps", "phase": "Succeeded", "startedAt": T0,
         "finishedAt": T1, "children": [f"{RUN}-1"]},
        {"id": f"{RUN}-1", "name": f"{RUN}[0].hello", "displayName": "hello", "type": "Pod", "phase": "Succeeded",
         "boundaryID": RUN, "startedAt": T0, "finishedAt": T1}])
    with make_server(home, "--auth-mode", "client") as srv:
        token = srv.wfexec("server", "token", "create", "--namespace", "default", "--role", "view").stdout.strip()
        assert token
        yield srv, token


def give_token(page: Any, token: str) -> None:
    page.wait_for_selector("#login[open]")
    page.fill("#login-token", token)
    page.press("#login-token", "Enter")


def test_the_ui_asks_for_the_token_keeps_it_for_the_session_and_never_shows_it(
        page: Any, browser: Any, auth_server: tuple[ServerProcess, str]) -> None:
    srv, token = auth_server
    urls: list[str] = []
    page.on("request", lambda r: urls.append(r.url))

    page.goto(f"{srv.url}/workflows")
    give_token(page, WRONG)
    # Refused: the prompt comes back and says why; the refused token is not kept.
    page.wait_for_selector("#login[open] #login-error:not([hidden])")
    assert "refused that token" in page.inner_text("#login-error")
    assert "token not valid" in page.inner_text("#login-error")
    assert page.evaluate("sessionStorage.getItem('wfexec.token')") is None
    give_token(page, token)
    page.wait_for_selector(f"table.runs tr[data-name='{RUN}']")
    assert not page.is_visible("#login")

    # Kept for the session: other pages and a reload ask no more.
    page.click(f"table.runs a:has-text('{RUN}')")
    page.wait_for_selector("#view[data-ready='1'] svg.graph g.node.t-pod.succeeded")
    page.reload()
    page.wait_for_selector("#view[data-ready='1'] svg.graph g.node.t-pod")
    assert not page.is_visible("#login")
    assert page.evaluate("localStorage.getItem('wfexec.token')") is None  # the session's store only

    # Another session asks again; giving nothing ends in a clear message, not a blank page.
    other = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        second = other.new_page()
        second.goto(f"{srv.url}/workflows")
        second.wait_for_selector("#login[open]")
        assert not second.is_visible("#login-error")
        second.keyboard.press("Escape")
        second.wait_for_selector("#banner.error")
        assert "asks for a token and none was given" in second.inner_text("#banner")
    finally:
        other.close()

    assert urls and all(token not in u and WRONG not in u for u in urls)
    assert token not in page.url
    log = srv.log.read_text()  # the server's whole output, refusals included
    assert "auth mode: client" in log
    assert token not in log and WRONG not in log
