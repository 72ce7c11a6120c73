"""The executor config: both file shapes, lookup order, validation messages, and `executor set` edits."""

from __future__ import annotations

from pathlib import Path

import pytest

from wfexec.cli.main import main
from wfexec.config import load_config, set_executor
from wfexec.errors import ConfigError

CONFIGMAP = """\
# copied from the cluster
apiVersion: v1
kind: ConfigMap
metadata:
  name: workflow-controller-configmap
  namespace: argo
data:
  containerRuntimeExecutor: docker   # keep this comment
  parallelism: "4"
  images: |
    argoproj/argosay:v2:
      cmd: [/argosay]
    docker/whalesay:latest:
      entrypoint: [cowsay]
      cmd: [hello]
  imageMap: |
    alpine:*: wfexec-test/busybox:latest
  artifactRepository: |
    s3:
      bucket: my-bucket
      endpoint: minio:9000
"""


def test_configmap_manifest_with_string_values(tmp_path: Path) -> None:
    f = tmp_path / "cm.yaml"
    f.write_text(CONFIGMAP)
    cfg = load_config(str(f))
    assert cfg.executor == "docker"
    assert cfg.executor_source == f"--config {f}"
    assert cfg.parallelism == 4
    assert cfg.image_command("argoproj/argosay:v2") == (None, ["/argosay"])
    assert cfg.image_command("docker/whalesay:latest") == (["cowsay"], ["hello"])
    assert cfg.image_command("nope") == (None, None)
    assert cfg.map_image("alpine:3.18") == "wfexec-test/busybox:latest"
    assert cfg.map_image("debian:12") == "debian:12"
    assert cfg.artifact_repository == {"s3": {"bucket": "my-bucket", "endpoint": "minio:9000"}}
    assert cfg.path == f


def test_data_mapping_only_and_old_config_block(tmp_path: Path) -> None:
    f = tmp_path / "data.yaml"
    f.write_text("containerRuntimeExecutor: emissary\nimageMap:\n  'hello-world': hello-world:latest\nruntime: docker\n")
    cfg = load_config(str(f))
    assert (cfg.executor, cfg.runtime, cfg.map_image("hello-world")) == ("emissary", "docker", "hello-world:latest")
    g = tmp_path / "old.yaml"
    g.write_text("kind: ConfigMap\napiVersion: v1\ndata:\n  config: |\n    containerRuntimeExecutor: docker\n")
    assert load_config(str(g)).executor == "docker"


def test_lookup_order(tmp_path: Path, wfexec_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WFEXEC_CONFIG", raising=False)
    cfg = load_config()
    assert (cfg.executor, cfg.executor_source) == ("emissary", "default (no config found)")
    (wfexec_home / "config.yaml").write_text("containerRuntimeExecutor: docker\n")
    cfg = load_config()
    assert cfg.executor == "docker" and cfg.executor_source.startswith("$WFEXEC_HOME/config.yaml")
    env_file = tmp_path / "env.yaml"
    env_file.write_text("containerRuntimeExecutor: emissary\n")
    monkeypatch.setenv("WFEXEC_CONFIG", str(env_file))
    cfg = load_config()
    assert (cfg.executor, cfg.executor_source) == ("emissary", f"$WFEXEC_CONFIG={env_file}")
    flag_file = tmp_path / "flag.yaml"
    flag_file.write_text("containerRuntimeExecutor: docker\n")
    cfg = load_config(str(flag_file))
    assert (cfg.executor, cfg.executor_source) == ("docker", f"--config {flag_file}")


@pytest.mark.parametrize(("text", "key", "words"), [
    ("containerRuntimeExecutor: pns\n", "containerRuntimeExecutor", "expected docker or emissary"),
    ("images:\n  x:\n    command: [a]\n", "images", "unknown field 'command'"),
    ("images:\n  x:\n    cmd: /a\n", "images", "x.cmd: expected a list of strings"),
    ("parallelism: lots\n", "parallelism", "expected a whole number"),
    ("kind: ConfigMap\napiVersion: v1\ndata:\n  images: |\n    x: [unclosed\n", "images", "not valid YAML"),
    ("runtime: k8s\n", "runtime", "expected one of host, docker"),
])
def test_malformed_config_names_file_and_key(tmp_path: Path, text: str, key: str, words: str) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(str(f))
    message = str(info.value)
    assert message.startswith(str(f)) and key in message and words in message, message


def test_missing_config_file_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["executor", "show", "--config", str(tmp_path / "absent.yaml")]) == 1
    err = capsys.readouterr().err
    assert "absent.yaml: executor config not found" in err and "Traceback" not in err


def test_set_executor_keeps_comments_and_layout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "cm.yaml"
    f.write_text(CONFIGMAP)
    assert main(["executor", "set", "emissary", "--config", str(f)]) == 0
    out = capsys.readouterr().out
    assert "executor: emissary" in out and "read back" in out
    text = f.read_text()
    assert text == CONFIGMAP.replace("containerRuntimeExecutor: docker   #", "containerRuntimeExecutor: emissary #")
    assert main(["executor", "show", "--config", str(f)]) == 0
    assert f"executor: emissary  (from --config {f})" in capsys.readouterr().out


def test_set_executor_creates_the_home_file(wfexec_home: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("WFEXEC_CONFIG", raising=False)
    assert main(["executor", "set", "docker"]) == 0
    assert "executor: docker" in capsys.readouterr().out
    home_file = wfexec_home / "config.yaml"
    assert load_config().executor == "docker"
    set_executor(home_file, "emissary")
    text = home_file.read_text()
    assert text.startswith("# wfexec executor config") and "containerRuntimeExecutor: emissary" in text


def test_set_executor_inside_old_config_block(tmp_path: Path) -> None:
    f = tmp_path / "old.yaml"
    f.write_text("kind: ConfigMap\napiVersion: v1\ndata:\n  config: |\n    containerRuntimeExecutor: docker\n"
                 "    parallelism: 3\n")
    set_executor(f, "emissary")
    cfg = load_config(str(f))
    assert (cfg.executor, cfg.parallelism) == ("emissary", 3)
