"""`wfexec migrate` against a real registry on loopback (Debian's docker-registry), with no image in
the daemon: anonymous, basic auth (htpasswd), token auth (a bearer-token server in the test)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.support.registry import push, remove_local, serve_registry
from tests.tooling.conftest import entrypoint, import_image
from wfexec.cli.main import main
from wfexec.config import ExecutorConfig
from wfexec.errors import MigrateError
from wfexec.migrate.image_config import lookup_image_config
from wfexec.migrate.registry import RegistryOptions


def _component(path: Path, image: str) -> Path:
    path.write_text(f"name: hello-world\nimplementation:\n  container:\n    image: {image}\n")
    return path


def _command(path: Path) -> list[str] | None:
    return YAML(typ="safe").load(path.read_text())["implementation"]["container"].get("command")


@pytest.fixture(scope="module")
def open_registry():
    with serve_registry() as reg:
        yield reg


def test_seed_component_from_a_registry_only(tmp_path: Path, hello_world_image: str, open_registry,
                                             wfexec_home: Path) -> None:
    ref = f"{open_registry.host}/library/hello-world:latest"
    push(hello_world_image, ref)
    remove_local(ref)  # only the registry has it under this name now
    spec = _component(tmp_path / "c.yaml", ref)
    assert main(["migrate", str(spec)]) == 0
    assert _command(spec) == ["/hello"]
    found = lookup_image_config(ref, config=ExecutorConfig(), registry_options=RegistryOptions())
    assert found.source == "cache" and found.digest.startswith("sha256:")


def test_cache_is_keyed_by_digest_so_a_moved_latest_is_seen(tmp_path: Path, open_registry, wfexec_home: Path) -> None:
    ref = f"{open_registry.host}/tools/moving:latest"
    options = RegistryOptions()
    import_image("wfexec-tooling/moving:a", entrypoint("/bin/old"), marker="a")
    push("wfexec-tooling/moving:a", ref)
    remove_local(ref)
    first = lookup_image_config(ref, config=ExecutorConfig(), registry_options=options, use_daemon=False)
    assert (first.entrypoint, first.source) == (["/bin/old"], "registry")
    cached = lookup_image_config(ref, config=ExecutorConfig(), registry_options=options, use_daemon=False)
    assert (cached.entrypoint, cached.source, cached.digest) == (["/bin/old"], "cache", first.digest)
    assert (wfexec_home / "cache" / "image-config" / "sha256" / f"{first.digest.split(':')[1]}.json").is_file()
    import_image("wfexec-tooling/moving:b", entrypoint("/bin/new"), marker="b")
    push("wfexec-tooling/moving:b", ref)  # :latest now names another image
    remove_local(ref)
    moved = lookup_image_config(ref, config=ExecutorConfig(), registry_options=options, use_daemon=False)
    assert (moved.entrypoint, moved.source) == (["/bin/new"], "registry")
    assert moved.digest != first.digest
    spec = _component(tmp_path / "c.yaml", ref)
    assert main(["migrate", "--no-daemon", str(spec)]) == 0
    assert _command(spec) == ["/bin/new"]


def test_basic_auth_registry(tmp_path: Path, hello_world_image: str, open_registry, wfexec_home: Path,
                             monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    push(hello_world_image, f"{open_registry.host}/library/hello-world:basic")
    with serve_registry(open_registry.storage, auth="basic") as reg:
        ref = f"{reg.host}/library/hello-world:basic"
        spec = _component(tmp_path / "c.yaml", ref)
        monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "no-docker-config"))
        monkeypatch.delenv("WFEXEC_REGISTRY_USERNAME", raising=False)
        assert main(["migrate", str(spec)]) == 1
        err = capsys.readouterr().err
        assert "needs a user name and password" in err and _command(spec) is None
        # credentials from a Docker client config's auths, as `docker login` writes them
        docker_cfg = tmp_path / "docker-config"
        docker_cfg.mkdir()
        auth = base64.b64encode(f"{reg.user}:{reg.password}".encode()).decode()
        (docker_cfg / "config.json").write_text(json.dumps({"auths": {reg.host: {"auth": auth}}}))
        monkeypatch.setenv("DOCKER_CONFIG", str(docker_cfg))
        assert main(["migrate", str(spec)]) == 0
        assert _command(spec) == ["/hello"]
        out = capsys.readouterr()
        assert reg.password not in out.out + out.err  # never shown
        # wrong credentials from the environment win over the file, and are refused
        other = _component(tmp_path / "d.yaml", f"{reg.host}/library/hello-world:basic")
        monkeypatch.setenv("WFEXEC_REGISTRY_USERNAME", reg.user)
        monkeypatch.setenv("WFEXEC_REGISTRY_PASSWORD", "wrong")
        with pytest.raises(MigrateError) as info:
            lookup_image_config(f"{reg.host}/library/hello-world:basic", config=ExecutorConfig(),
                                registry_options=RegistryOptions(), use_daemon=False)
        assert "access denied with the credentials found" in str(info.value) and "wrong" not in str(info.value)
        assert _command(other) is None


def test_token_auth_registry(tmp_path: Path, hello_world_image: str, open_registry, wfexec_home: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    push(hello_world_image, f"{open_registry.host}/team/hello-world:token")
    with serve_registry(open_registry.storage, auth="token") as reg:
        monkeypatch.setenv("WFEXEC_REGISTRY_USERNAME", reg.user)
        monkeypatch.setenv("WFEXEC_REGISTRY_PASSWORD", reg.password)
        spec = _component(tmp_path / "c.yaml", f"{reg.host}/team/hello-world:token")
        assert main(["migrate", "--no-daemon", str(spec)]) == 0
        assert _command(spec) == ["/hello"]
        granted = [r for r in reg.token_requests if r["authorised"]]
        assert granted and granted[0]["query"] == {"scope": "repository:team/hello-world:pull",
                                                   "service": "wfexec-test-registry"}


def test_unreachable_registry_names_file_and_image(tmp_path: Path, wfexec_home: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from tests.support.registry import free_port

    ref = f"127.0.0.1:{free_port()}/gone/image:1"
    spec = _component(tmp_path / "c.yaml", ref)
    before = spec.read_text()
    assert main(["migrate", str(spec)]) == 1
    err = capsys.readouterr().err
    assert str(spec) in err and ref in err and "unreachable" in err
    assert spec.read_text() == before


def test_unknown_tag_in_a_registry(tmp_path: Path, open_registry, wfexec_home: Path) -> None:
    with pytest.raises(MigrateError) as info:
        lookup_image_config(f"{open_registry.host}/library/hello-world:no-such-tag", config=ExecutorConfig(),
                            registry_options=RegistryOptions(), use_daemon=False)
    assert "manifest unknown for tag 'no-such-tag'" in str(info.value)


def test_multi_arch_index_picks_linux_amd64(tmp_path: Path, open_registry, wfexec_home: Path) -> None:
    """An OCI index (pushed by hand over the API) resolves to its linux/amd64 image's config."""
    import hashlib

    import requests

    base = f"http://{open_registry.host}/v2/multi/arch"

    def put_blob(data: bytes) -> str:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        loc = requests.post(f"{base}/blobs/uploads/", timeout=10).headers["Location"]
        sep = "&" if "?" in loc else "?"
        url = loc if loc.startswith("http") else f"http://{open_registry.host}{loc}"
        assert requests.put(f"{url}{sep}digest={digest}", data=data, timeout=10).status_code == 201
        return digest

    def put_manifest(ref: str, body: dict, media: str) -> str:
        data = json.dumps(body).encode()
        r = requests.put(f"{base}/manifests/{ref}", data=data, headers={"Content-Type": media}, timeout=10)
        assert r.status_code == 201, r.text
        return "sha256:" + hashlib.sha256(data).hexdigest()

    layer = put_blob(b"")  # an empty layer is enough: the config is what is read
    digests = {}
    for arch, ep in (("arm64", "/bin/arm"), ("amd64", "/bin/amd")):
        cfg = json.dumps({"architecture": arch, "os": "linux", "config": {"Entrypoint": [ep]},
                          "rootfs": {"type": "layers", "diff_ids": []}}).encode()
        manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "size": len(cfg),
                               "digest": put_blob(cfg)},
                    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "size": 0, "digest": layer}]}
        digests[arch] = (put_manifest(arch, manifest, manifest["mediaType"]), len(json.dumps(manifest)))
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
             "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": d, "size": s,
                            "platform": {"os": "linux", "architecture": arch}} for arch, (d, s) in digests.items()]}
    put_manifest("multi", index, index["mediaType"])
    found = lookup_image_config(f"{open_registry.host}/multi/arch:multi", config=ExecutorConfig(),
                                registry_options=RegistryOptions(), use_daemon=False)
    assert (found.entrypoint, found.source) == (["/bin/amd"], "registry")
