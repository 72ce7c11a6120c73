"""The executor config, shaped like Argo's `workflow-controller-configmap`.

A file holds either the whole ConfigMap manifest (`kind: ConfigMap`, `data: {…}`) or just its
`data` mapping, so an operator can copy the cluster's ConfigMap and run it here unchanged. As in
Argo, `data` values may be YAML documents held in strings (`images: |`), and an older `config: |`
key may hold the whole configuration.

Keys read here:

| key | meaning |
|---|---|
| `containerRuntimeExecutor` | `docker` or `emissary` (Argo's key; default `emissary`) |
| `images` | Argo's index `IMAGE: {entrypoint: [...], cmd: [...]}` for the emissary |
| `imageMap` | wfexec: image name or glob (`alpine:*`) → local image to run instead |
| `artifactRepository` | Argo's artifact repository (`s3:` or wfexec's `local:`) |
| `runtime` | wfexec: `host` or `docker`, where steps run by default |
| `parallelism` | wfexec: at most this many pods at once (Argo's key of the same name) |
| `sandbox` | wfexec, host runtime: `auto`, `bwrap` or `none` |
| `bwrap` | wfexec, host runtime: path of the bubblewrap binary |
| `insecureRegistries` | wfexec, migrate: registries reached over plain HTTP |
| `hostEnvironments` | wfexec, host runtime: image glob → venv, PATH, PYTHONPATH, env (`host_envs.py`) |

Other Argo keys are kept in `raw` and ignored.
"""

from __future__ import annotations

import fnmatch
import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wfexec import host_envs
from wfexec.errors import ConfigError
from wfexec.home import wfexec_home
from wfexec.host_envs import HostEnvironment

if TYPE_CHECKING:
    from ruamel.yaml import YAML

# ruamel (some 10 ms) and tempfile are imported where a config file is read or written, not here:
# every `submit` loads this module before it forks its engine, and most homes have no config file.

EXECUTORS = ("docker", "emissary")
RUNTIMES = ("host", "docker")
SANDBOXES = ("auto", "bwrap", "none")
DEFAULT_EXECUTOR = "emissary"
CONFIG_ENV = "WFEXEC_CONFIG"
# Keys whose ConfigMap value may be a YAML document in a string.
_STRUCTURED = ("images", "imageMap", "artifactRepository", "insecureRegistries", "hostEnvironments")


@dataclass
class ExecutorConfig:
    """The executor config in force, and where it came from."""

    executor: str = DEFAULT_EXECUTOR
    executor_source: str = "default (no config found)"
    images: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    image_map: dict[str, str] = field(default_factory=dict)
    artifact_repository: dict[str, Any] | None = None
    runtime: str | None = None
    parallelism: int | None = None
    sandbox: str = "auto"
    bwrap: str | None = None
    insecure_registries: list[str] = field(default_factory=list)
    host_environments: list[HostEnvironment] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    def map_image(self, name: str) -> str:
        """The local image to run for `name`: an exact `imageMap` entry, else the first matching glob."""
        if name in self.image_map:
            return self.image_map[name]
        for pattern, target in self.image_map.items():
            if fnmatch.fnmatchcase(name, pattern):
                return target
        return name

    def image_command(self, image: str) -> tuple[list[str] | None, list[str] | None]:
        """(ENTRYPOINT, CMD) from the `images:` index, for `image` or its mapped name; (None, None) if absent."""
        for name in dict.fromkeys([image, self.map_image(image)]):
            entry = self.images.get(name)
            if entry is not None:
                return entry.get("entrypoint"), entry.get("cmd")
        return None, None


def config_path(path: str | None = None) -> tuple[Path | None, str]:
    """The config file to read and how it was chosen: --config, then $WFEXEC_CONFIG, then the home file."""
    if path:
        return Path(path), f"--config {path}"
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env), f"${CONFIG_ENV}={env}"
    home_file = wfexec_home() / "config.yaml"
    if home_file.is_file():
        return home_file, f"$WFEXEC_HOME/config.yaml ({home_file})"
    return None, "default (no config found)"


def load_config(path: str | None = None) -> ExecutorConfig:
    """Read the executor config; with none found, the default (executor emissary)."""
    file, source = config_path(path)
    if file is None:
        return ExecutorConfig()
    if not file.is_file():
        raise ConfigError(f"{file}: executor config not found (from {source})")
    data = _data_mapping(file, _load_yaml(file))
    return _parse(file, source, data)


def _load_yaml(file: Path) -> Any:
    from ruamel.yaml.error import YAMLError

    try:
        return _rt_yaml().load(file.read_text())
    except YAMLError as exc:
        raise ConfigError(f"{file}: not valid YAML: {_one_line(exc)}") from None
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read: {exc.strerror}") from None


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())


def _line(node: Any, key: str) -> str:
    try:
        return f":{node.lc.key(key)[0] + 1}"
    except (AttributeError, KeyError, TypeError):
        return ""


def _data_mapping(file: Path, doc: Any) -> dict[str, Any]:
    """The ConfigMap's `data` (or the file itself), with `config: |` and string values expanded."""
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise ConfigError(f"{file}: expected a mapping (a ConfigMap, or its data), got {type(doc).__name__}")
    if doc.get("kind") == "ConfigMap" or ("data" in doc and "apiVersion" in doc):
        data = doc.get("data") or {}
        if not isinstance(data, dict):
            raise ConfigError(f"{file}{_line(doc, 'data')}: data: expected a mapping")
    else:
        data = doc
    out: dict[str, Any] = {}
    if isinstance(data.get("config"), str):
        inner = _parse_string(file, data, "config")
        if not isinstance(inner, dict):
            raise ConfigError(f"{file}{_line(data, 'config')}: config: expected a YAML mapping in the string")
        out.update(inner)
    for key, value in data.items():
        if key == "config" and isinstance(value, str):
            continue
        out[key] = _parse_string(file, data, key) if key in _STRUCTURED and isinstance(value, str) else value
    return out


def _parse_string(file: Path, data: Any, key: str) -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        return YAML(typ="safe").load(data[key])
    except YAMLError as exc:
        raise ConfigError(f"{file}{_line(data, key)}: {key}: the string is not valid YAML: {_one_line(exc)}") from None


def _parse(file: Path, source: str, data: dict[str, Any]) -> ExecutorConfig:
    def fail(key: str, message: str) -> ConfigError:
        return ConfigError(f"{file}{_line(data, key)}: {key}: {message}")

    executor = data.get("containerRuntimeExecutor")
    if executor is None:
        executor, executor_source = DEFAULT_EXECUTOR, f"default (containerRuntimeExecutor not set in {file})"
    else:
        executor_source = source
        if executor not in EXECUTORS:
            raise fail("containerRuntimeExecutor", f"{executor!r} is not supported: expected docker or emissary "
                       "(Argo's pns, kubelet and k8sapi executors are not implemented)")
    cfg = ExecutorConfig(executor=str(executor), executor_source=executor_source, raw=dict(data), path=file)
    cfg.images = _images(data.get("images"), fail)
    cfg.image_map = _image_map(data.get("imageMap"), fail)
    repo = data.get("artifactRepository")
    if repo is not None and not isinstance(repo, dict):
        raise fail("artifactRepository", "expected a mapping such as {s3: {...}} or {local: {path: ...}}")
    cfg.artifact_repository = plain_data(repo) if repo is not None else None
    runtime = data.get("runtime")
    if runtime is not None and runtime not in RUNTIMES:
        raise fail("runtime", f"{runtime!r}: expected one of {', '.join(RUNTIMES)}")
    cfg.runtime = runtime
    if data.get("parallelism") is not None:
        try:
            cfg.parallelism = int(str(data["parallelism"]))
        except ValueError:
            raise fail("parallelism", f"{data['parallelism']!r}: expected a whole number") from None
        if cfg.parallelism < 0:
            raise fail("parallelism", "expected 0 (no limit) or more")
    sandbox = data.get("sandbox", "auto")
    if sandbox not in SANDBOXES:
        raise fail("sandbox", f"{sandbox!r}: expected one of {', '.join(SANDBOXES)}")
    cfg.sandbox = str(sandbox)
    if data.get("bwrap") is not None:
        cfg.bwrap = str(data["bwrap"])
    insecure = data.get("insecureRegistries") or []
    if not isinstance(insecure, list) or not all(isinstance(x, str) for x in insecure):
        raise fail("insecureRegistries", "expected a list of registry hosts such as [\"127.0.0.1:5000\"]")
    cfg.insecure_registries = list(insecure)
    cfg.host_environments = host_envs.parse(plain_data(data.get("hostEnvironments")), fail)
    return cfg


def plain_data(value: Any) -> Any:
    """ruamel's commented containers (and any mapping) as plain dicts with string keys, and lists."""
    if isinstance(value, dict):
        return {str(k): plain_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_data(v) for v in value]
    return value


def _string_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(x, str | int | float) for x in value)


def _images(value: Any, fail: Any) -> dict[str, dict[str, list[str]]]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise fail("images", "expected a mapping IMAGE: {cmd: [...], entrypoint: [...]}")
    out: dict[str, dict[str, list[str]]] = {}
    for image, entry in value.items():
        if not isinstance(entry, dict):
            raise fail("images", f"{image}: expected a mapping with cmd and/or entrypoint")
        unknown = sorted(set(entry) - {"cmd", "entrypoint"})
        if unknown:
            raise fail("images", f"{image}: unknown field {unknown[0]!r} (expected cmd, entrypoint)")
        item: dict[str, list[str]] = {}
        for key in ("entrypoint", "cmd"):
            if entry.get(key) is not None:
                if not _string_list(entry[key]):
                    raise fail("images", f"{image}.{key}: expected a list of strings")
                item[key] = [str(x) for x in entry[key]]
        if not item:
            raise fail("images", f"{image}: give cmd and/or entrypoint")
        out[str(image)] = item
    return out


def _image_map(value: Any, fail: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise fail("imageMap", "expected a mapping IMAGE-OR-GLOB: LOCAL-IMAGE")
    return {str(k): v for k, v in value.items()}


# --- editing ---------------------------------------------------------------------------------

_NEW_FILE = (
    "# wfexec executor config (the shape of Argo's workflow-controller-configmap data).\n"
    "# containerRuntimeExecutor: docker | emissary\n"
)


def set_executor(path: str | Path, value: str) -> Path:
    """Set `containerRuntimeExecutor` in the file, keeping its comments and layout; create it if absent."""
    if value not in EXECUTORS:
        raise ConfigError(f"containerRuntimeExecutor: {value!r} is not supported: expected docker or emissary")
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.scalarstring import LiteralScalarString

    file = Path(path)
    yaml = _rt_yaml()
    if not file.exists():
        file.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(file, _NEW_FILE + f"containerRuntimeExecutor: {value}\n")
        return file
    doc = _load_yaml(file)
    if doc is None:
        doc = CommentedMap()
    if not isinstance(doc, dict):
        raise ConfigError(f"{file}: expected a mapping (a ConfigMap, or its data), got {type(doc).__name__}")
    target = doc
    if doc.get("kind") == "ConfigMap" or ("data" in doc and "apiVersion" in doc):
        if not isinstance(doc.get("data"), dict):
            doc["data"] = CommentedMap()
        target = doc["data"]
    inner = target.get("config")
    if isinstance(inner, str) and "containerRuntimeExecutor" not in target:
        parsed = YAML(typ="rt").load(inner) if inner.strip() else CommentedMap()
        if isinstance(parsed, dict) and "containerRuntimeExecutor" in parsed:
            parsed["containerRuntimeExecutor"] = value
            buf = io.StringIO()
            _rt_yaml().dump(parsed, buf)
            target["config"] = LiteralScalarString(buf.getvalue())
            _dump(file, yaml, doc)
            return file
    target["containerRuntimeExecutor"] = value
    _dump(file, yaml, doc)
    return file


def default_config_file(path: str | None = None) -> Path:
    """The file `executor set` writes: the one `load_config` would read, else $WFEXEC_HOME/config.yaml."""
    file, _ = config_path(path)
    return file if file is not None else wfexec_home() / "config.yaml"


def _rt_yaml() -> YAML:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    return yaml


def _dump(file: Path, yaml: YAML, doc: Any) -> None:
    buf = io.StringIO()
    yaml.dump(doc, buf)
    _atomic_write(file, buf.getvalue())


def _atomic_write(file: Path, text: str) -> None:
    """Write beside the file and rename, so a reader never sees half a config."""
    import tempfile

    fd, tmp = tempfile.mkstemp(dir=file.parent, prefix=f".{file.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        if file.exists():
            os.chmod(tmp, file.stat().st_mode & 0o7777)
        os.replace(tmp, file)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
