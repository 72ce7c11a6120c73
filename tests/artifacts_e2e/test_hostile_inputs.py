"""Hostile archives served as input artifacts: the step ends in Error naming the artifact,
the step never runs, and nothing is written outside the artifact's destination."""

from __future__ import annotations

import http.server
import io
import tarfile
import threading
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.artifacts_e2e.conftest import RUNTIMES, s3_config
from tests.support.moto_server import MotoS3
from tests.support.runs import Finished, run_file
from wfexec.home import wfexec_home

pytestmark = pytest.mark.parametrize(("runtime", "executor"), RUNTIMES)


def _escape_names(tmp_path: Path, tag: str) -> tuple[list[str], list[Path]]:
    """Entry names that climb out of any staging dir, and the host paths they would hit."""
    aimed = tmp_path / f"evil-{tag}.txt"
    deep = "../" * 40 + str(aimed).lstrip("/")
    return [f"../evil-{tag}.txt", deep], [aimed]


def _zip_slip(names: list[str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("ok.txt", "fine\n")
        for n in names:
            zf.writestr(zipfile.ZipInfo(n), "pwned\n")
    return buf.getvalue()


def _tar_slip(names: list[str]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", format=tarfile.GNU_FORMAT) as tf:
        link = tarfile.TarInfo("data/escape")
        link.type, link.linkname = tarfile.SYMTYPE, "../../../../../../../../etc"
        tf.addfile(link)
        for n in names:
            info = tarfile.TarInfo(n)
            info.size = 6
            tf.addfile(info, io.BytesIO(b"pwned\n"))
    return buf.getvalue()


@pytest.fixture
def http_server() -> Iterator[tuple[str, dict[str, bytes]]]:
    """A real HTTP server on loopback serving the bytes put in the returned dict."""
    files: dict[str, bytes] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            body = files.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.end_headers()
            if body is not None:
                self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", files
    finally:
        server.shutdown()
        server.server_close()


def _workflow(tmp_path: Path, source: str) -> Path:
    wf = tmp_path / "hostile.yaml"
    wf.write_text(f"""\
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {{generateName: hostile-}}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: consume
        template: consume
  - name: consume
    inputs:
      artifacts:
      - name: payload
        path: /tmp/payload
{source}
    container:
      image: busybox
      command: [sh, -c, "echo the step ran; cat /tmp/payload"]
""")
    return wf


def _assert_refused(run: Finished, aimed: list[Path], tag: str) -> None:
    node = run.by_display("consume")
    assert run.phase == "Failed" and node["phase"] == "Error", (run.phase, node.get("message"))
    msg = node["message"]
    assert "'payload'" in msg and "'consume'" in msg and "refusing" in msg, msg
    assert "Traceback" not in msg
    assert run.log(node) == ""  # the step never started
    for p in aimed:
        assert not p.exists(), p
    assert not [p for p in wfexec_home().rglob(f"evil-{tag}*")]


def test_http_zip_slip_input_is_refused(runtime: str, executor: str, tmp_path: Path,
                                        http_server: tuple[str, dict[str, bytes]]) -> None:
    url, files = http_server
    tag = uuid.uuid4().hex[:8]
    names, aimed = _escape_names(tmp_path, tag)
    files["/slip.zip"] = _zip_slip(names)
    wf = _workflow(tmp_path, f"        http: {{url: '{url}/slip.zip'}}")
    _assert_refused(run_file(wf, runtime=runtime, executor=executor), aimed, tag)


def test_http_input_that_is_fine_is_unpacked(runtime: str, executor: str, tmp_path: Path,
                                             http_server: tuple[str, dict[str, bytes]]) -> None:
    """The control case: the same server and workflow, a clean zip, and the step sees its files."""
    url, files = http_server
    files["/ok.zip"] = _zip_slip([])
    wf = _workflow(tmp_path, f"        http: {{url: '{url}/ok.zip'}}")
    run = run_file(wf, runtime=runtime, executor=executor)
    assert run.phase == "Succeeded", run.message
    assert run.log(run.by_display("consume")) == "the step ran\nfine\n"  # one entry: it becomes the path itself


def test_s3_tar_slip_input_is_refused(runtime: str, executor: str, tmp_path: Path, moto_s3: MotoS3) -> None:
    bucket = f"wfexec-{uuid.uuid4().hex[:12]}"
    moto_s3.client().create_bucket(Bucket=bucket)
    tag = uuid.uuid4().hex[:8]
    names, aimed = _escape_names(tmp_path, tag)
    moto_s3.client().put_object(Bucket=bucket, Key="uploads/slip.tgz", Body=_tar_slip(names))
    cfg = s3_config(tmp_path, moto_s3, bucket, "e2e-hostile-creds")
    wf = _workflow(tmp_path, "        s3: {key: uploads/slip.tgz}")
    run = run_file(wf, runtime=runtime, executor=executor, config=cfg)
    _assert_refused(run, aimed, tag)
    assert moto_s3.secret_key not in run.by_display("consume")["message"]
