"""A node's input artifacts in the panel: one passed `from` another step downloads as its producer's
output did; one with nothing stored (raw) is shown without a link that could only fail."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest
import requests
import yaml

from tests.ui.conftest import create_workflow, wait_phase

pytestmark = pytest.mark.timeout(300)

EXAMPLE = Path("/work/shared/corpus/argo-examples/artifact-passing.yaml")


def passing_and_raw() -> dict:
    """Argo's artifact-passing example, and beside its consumer a step given a raw input."""
    wf = yaml.safe_load(EXAMPLE.read_text())
    steps = wf["spec"]["templates"][0]["steps"]
    steps[1].append({"name": "typed", "template": "print-message-from-file",
                     "arguments": {"artifacts": [{"name": "message", "raw": {"data": "typed in"}}]}})
    return wf


def node_id(wf: dict, display: str) -> str:
    return next(n["id"] for n in wf["status"]["nodes"].values() if n.get("displayName") == display)


@pytest.mark.skipif(not EXAMPLE.exists(), reason="the shared Argo examples are not here")
def test_download_an_input_artifact_passed_from_another_step(page, ui_server):
    name = create_workflow(ui_server, passing_and_raw())
    wf = wait_phase(ui_server, name, ("Succeeded",))
    page.goto(f"{ui_server.url}/workflows/default/{name}?node={node_id(wf, 'consume-artifact')}")
    page.wait_for_selector("aside.panel a.artifact[data-artifact='message']")
    href = page.get_attribute("aside.panel a.artifact[data-artifact='message']", "href")
    assert href.startswith("/input-artifacts/default/")
    with page.expect_download() as info:
        page.click("aside.panel a.artifact[data-artifact='message']")
    got = Path(info.value.path()).read_bytes()
    assert got == requests.get(ui_server.url + href, timeout=30).content
    with tarfile.open(fileobj=io.BytesIO(got)) as tar:
        member = tar.extractfile(tar.getmembers()[0])
        assert member is not None and member.read() == b"hello world\n"

    page.goto(f"{ui_server.url}/workflows/default/{name}?node={node_id(wf, 'typed')}")
    page.wait_for_selector("aside.panel span.artifact-name[data-artifact='message']")
    assert "nothing to download" in page.inner_text("aside.panel ul.artifacts")
    assert page.locator("aside.panel a.artifact").count() == 0
