"""The KFP v2 launcher: runs inside one step, around one executor of a pipeline.

Standard library only, run as a script (`python3 launcher.py SPEC ARGS…`), so a step pays for
no wfexec import. It follows the semantics of KFP's v2 driver and launcher: typed inputs, the
executor input (`{{$}}`), placeholders (Concat, IfPresent, paths, URIs, metadata, job and task
names), the user command, the output metadata file, typed output parameters, artifacts whose
URIs live under the run's artifact root, and caching keyed by KFP's cache-key fields.

What it hands back to the engine are plain files: `/tmp/kfp/argo/p/<name>` (one output
parameter as text, plus the newline the engine trims) and `/tmp/kfp/argo/a/<name>` (a JSON list of artifacts: name, uri, type,
metadata), plus `/tmp/kfp/argo/cached` ("true" when taken from cache).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import uuid
from typing import Any

# The launcher's other modules lie beside it and travel with it (the folder is bound into the step).
if __package__:  # imported as part of wfexec (compile.py reads ABSENT and to_text)
    from wfexec.kfp.v2.launcher_command import (
        own_log_tail,
        report_network,
        run_in_warm_process,
        run_watching_network,
    )
    from wfexec.kfp.v2.launcher_placeholders import Placeholders
    from wfexec.kfp.v2.launcher_values import (
        ABSENT,
        LaunchError,
        copy_into,
        from_collected,
        from_text,
        local_path,
        normal,
        select,
        to_text,
    )
else:  # run as a script inside the step: they are on sys.path[0]
    from launcher_command import own_log_tail, report_network, run_in_warm_process, run_watching_network
    from launcher_placeholders import Placeholders
    from launcher_values import (
        ABSENT,
        LaunchError,
        copy_into,
        from_collected,
        from_text,
        local_path,
        normal,
        select,
        to_text,
    )

__all__ = ["ABSENT", "LaunchError", "Launch", "Placeholders", "from_text", "lightweight_argv", "main", "to_text"]

WORK = "/tmp/kfp"
ARGO_OUT = WORK + "/argo"
PARAM_PREFIX = "p-"
ARTIFACT_PREFIX = "a-"
STATE_BY_PHASE = {"Succeeded": "COMPLETE", "Failed": "FAILED", "Error": "FAILED", "Skipped": "SKIPPED",
                  "Omitted": "SKIPPED"}
REMOTE_SCHEMES = ("gs://", "http://", "https://", "oci://", "minio://", "s3://")


def _local(uri: str) -> bool:
    return uri.startswith("/")


class Launch:
    def __init__(self, spec: dict[str, Any], argv: list[str]) -> None:
        self.spec = spec
        self.raw_params: dict[str, str] = {}
        self.raw_artifacts: dict[str, str] = {}
        self.job = ""
        self.job_uid = ""
        self.created = ""  # the run's creationTimestamp (RFC 3339, UTC)
        self.statuses: dict[str, str] = {}
        self.slots: dict[str, str] = {}
        it = iter(argv)
        for flag in it:
            if flag == "--p":
                name = next(it)
                self.raw_params[name] = next(it)
            elif flag == "--a":
                name = next(it)
                self.raw_artifacts[name] = next(it)
            elif flag == "--status":
                name = next(it)
                self.statuses[name] = next(it)
            elif flag == "--k":
                name = next(it)
                self.slots[name] = next(it)
            elif flag == "--job":
                self.job, self.job_uid = next(it), next(it)
            elif flag == "--created":
                self.created = next(it)
            else:
                raise LaunchError(f"unknown launcher argument {flag!r}")
        self.pod = os.environ.get("ARGO_POD_NAME") or uuid.uuid4().hex[:10]
        self.task_uid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.job_uid}/{self.pod}"))
        self.root = spec["root"]
        self.outdir = os.path.join(self.root, "runs", self.job or "job", self.pod)

    # ---- inputs -------------------------------------------------------------------------
    def placeholders_for_values(self, text: str) -> str:
        """Placeholders inside a constant: job and task names, and the task's other inputs (an
        f-string over pipeline channels compiles to `{{$.inputs.parameters['pipelinechannel--x']}}`)."""
        for key, value in self.job_placeholders().items():
            text = text.replace("{{$." + key + "}}", value)

        def channel(m: re.Match[str]) -> str:
            name = m.group(1)
            if name in self.raw_params and self.raw_params[name] != ABSENT:
                return self.raw_params[name]
            const = (self.spec.get("constants") or {}).get(name)
            return m.group(0) if const is None else to_text(const, "STRING")

        return re.sub(r"\{\{\$\.inputs\.parameters\['([^']*)'\]\}\}", channel, text)

    def job_placeholders(self) -> dict[str, str]:
        return {"pipeline_job_name": self.job, "pipeline_job_resource_name": self.job,
                "pipeline_job_uuid": self.job_uid, "pipeline_task_name": self.spec["task"],
                "pipeline_task_uuid": self.task_uid, "workspace_path": self.workspace(),
                "pipeline_root": self.root,
                # as KFP's driver: the run's creation time; a run no schedule started has it as its schedule time
                "pipeline_job_create_time_utc": self.created, "pipeline_job_schedule_time_utc": self.created}

    def workspace(self) -> str:
        return os.path.join(self.root, "runs", self.job or "job", "workspace")

    def parameters(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        inputs = self.spec["inputs"]["parameters"]
        constants = self.spec.get("constants") or {}
        for name, p in inputs.items():
            ptype = p["type"]
            if name in self.statuses:
                out[name] = self.final_status(name)
                continue
            if name in constants:
                value = constants[name]
                out[name] = self.placeholders_for_values(value) if isinstance(value, str) else normal(value, ptype)
                continue
            if name in self.raw_params and self.raw_params[name] != ABSENT:
                text = self.raw_params[name]
                sel = (self.spec.get("selectors") or {}).get(name)
                if sel:
                    text = select(text, sel)
                collected = (self.spec.get("collected") or {}).get(name)
                if collected:
                    out[name] = from_collected(text, collected["type"], collected["depth"], name)
                else:
                    out[name] = from_text(text, ptype, name)
                continue
            if p.get("has_default"):
                out[name] = normal(p.get("default"), ptype)
            elif not p.get("optional"):
                raise LaunchError(f"input parameter {name!r} is required and has no value")
        return out

    def final_status(self, name: str) -> dict[str, Any]:
        phase = self.statuses[name]
        state = STATE_BY_PHASE.get(phase, phase.upper())
        status: dict[str, Any] = {"state": state, "pipelineJobResourceName": self.job,
                                  "pipelineTaskName": self.spec["final_status_producers"].get(name, "")}
        if state != "COMPLETE":
            status["error"] = {"code": 1, "message": f"the task ended {phase}"}
        return status

    def input_artifacts(self) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        for name, a in self.spec["inputs"]["artifacts"].items():
            text = self.raw_artifacts.get(name, "")
            text = "" if text == ABSENT else text
            arts: list[Any] = []
            if text.strip():
                try:
                    arts = json.loads(text)
                except ValueError:
                    raise LaunchError(f"input artifact {name!r}: not an artifact list: {text[:80]!r}") from None
            flat: list[dict[str, Any]] = []
            for item in arts if isinstance(arts, list) else [arts]:
                if isinstance(item, str):  # a collected list aggregates JSON text
                    item = json.loads(item)
                flat.extend(item if isinstance(item, list) else [item])
            if not flat:
                if a.get("optional"):
                    continue
                raise LaunchError(f"input artifact {name!r} is required and has no value")
            out[name] = flat if a.get("is_list") else flat[:1]
        return out

    # ---- platforms.kubernetes: secrets and ConfigMaps ------------------------------------
    def source_dir(self, src: dict[str, Any]) -> tuple[str, str]:
        ref = src["name"]
        name = ref.get("constant") or self.slots.get(ref.get("slot", ""), "")
        root = self.spec["secrets_root" if src["kind"] == "secret" else "configmaps_root"]
        return name, os.path.join(root, name) if name else ""

    def platform_env(self) -> dict[str, str]:
        env: dict[str, str] = {}
        for src in self.spec.get("env_sources") or []:
            name, folder = self.source_dir(src)
            for key, var in src["keys"]:
                path = os.path.join(folder, key) if folder else ""
                if path and os.path.isfile(path):
                    with open(path) as f:
                        env[var] = f.read()
                elif not src["optional"]:
                    raise LaunchError(f"{src['kind']} {name or '(no name)'!r} has no key {key!r}: "
                                      f"expected the file {path or '(no name given)'}")
        return env

    def platform_files(self) -> None:
        for src in self.spec.get("file_sources") or []:
            name, folder = self.source_dir(src)
            if folder and os.path.isdir(folder):
                for entry in os.listdir(folder):
                    if os.path.isfile(os.path.join(folder, entry)):
                        shutil.copyfile(os.path.join(folder, entry), os.path.join(src["mount"], entry))
            elif not src["optional"]:
                raise LaunchError(f"{src['kind']} {name or '(no name)'!r} not found: expected the folder "
                                  f"{folder or '(no name given)'}")

    # ---- outputs ------------------------------------------------------------------------
    def output_artifacts(self) -> dict[str, list[dict[str, Any]]]:
        out = {}
        for name, a in self.spec["outputs"]["artifacts"].items():
            uri = os.path.join(self.outdir, name)
            out[name] = [{"name": name, "uri": uri, "metadata": {},
                          "type": {"schemaTitle": a["schema_title"], "schemaVersion": a["schema_version"]}}]
        return out

    def output_parameter_files(self) -> dict[str, str]:
        return {name: os.path.join(WORK, "outputs", "parameters", name) for name in self.spec["outputs"]["parameters"]}

    # ---- the run's S3 artifact repository -----------------------------------------------
    def s3(self) -> Any:
        from sigv4_s3 import S3  # beside this script; only runs with an S3 repository load it

        conf = self.spec["s3"]

        def secret(ref: dict[str, str]) -> str:
            path = os.path.join(self.spec["secrets_root"], ref["name"], ref["key"])
            try:
                with open(path) as f:
                    return f.read().strip()
            except OSError:
                raise LaunchError(f"the S3 artifact repository's secret {ref['name']!r} has no key {ref['key']!r}: "
                                  f"expected the file {path}") from None

        return S3(conf["endpoint"], conf["bucket"], secret(conf["access"]), secret(conf["secret"]),
                  region=conf.get("region") or "us-east-1", insecure=bool(conf.get("insecure")))

    def to_s3(self, arts: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
        """Each output artifact put under the repository's bucket; its URI becomes s3://bucket/key."""
        client, conf = self.s3(), self.spec["s3"]
        for name, listed in arts.items():
            for a in listed:
                local = local_path(a["uri"])
                key = "/".join(x for x in (conf.get("prefix", "").strip("/"), self.job, self.pod, name) if x)
                if os.path.isdir(local):
                    for folder, _dirs, files in os.walk(local):
                        for f in files:
                            rel = os.path.relpath(os.path.join(folder, f), local)
                            with open(os.path.join(folder, f), "rb") as fh:
                                client.put(key + "/" + rel, fh.read())
                elif os.path.exists(local):
                    with open(local, "rb") as fh:
                        client.put(key, fh.read())
                a["uri"] = f"s3://{conf['bucket']}/{key}"
                client.put(key + ".kfp-metadata.json", json.dumps(
                    {"name": a["name"], "type": a["type"], "metadata": a["metadata"]}).encode())
        return arts

    def from_s3(self, arts: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
        """Input artifacts in the repository's bucket, fetched into the step; the executor reads them there."""
        conf = self.spec["s3"]
        prefix = f"s3://{conf['bucket']}/"
        if not any(a["uri"].startswith(prefix) for listed in arts.values() for a in listed):
            return arts
        client = self.s3()
        out: dict[str, list[dict[str, Any]]] = {}
        for name, listed in arts.items():
            out[name] = []
            for i, a in enumerate(listed):
                if not a["uri"].startswith(prefix):
                    out[name].append(a)
                    continue
                key = a["uri"][len(prefix):]
                dest = os.path.join(self.outdir, "inputs", name, str(i), os.path.basename(key))
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                data = client.get(key)
                if data is not None:
                    with open(dest, "wb") as f:
                        f.write(data)
                else:
                    keys = [k for k in client.list(key + "/")]
                    if not keys:
                        raise LaunchError(f"input artifact {name!r}: {a['uri']} is not in the repository")
                    for k in keys:
                        path = os.path.join(dest, os.path.relpath(k, key))
                        os.makedirs(os.path.dirname(path), exist_ok=True)
                        with open(path, "wb") as f:
                            f.write(client.get(k) or b"")
                out[name].append({**a, "uri": dest})
        return out

    # ---- caching ------------------------------------------------------------------------
    def cache_key(self, params: dict[str, Any], arts: dict[str, list[dict[str, Any]]]) -> str:
        """KFP's cache key fields: input artifact names, input parameter values, output specs, container."""
        c = self.spec.get("container") or {}
        key = {"inputArtifactNames": {n: {"artifactNames": [a["uri"] for a in v]} for n, v in sorted(arts.items())},
               "inputParameterValues": params,
               "outputArtifactsSpec": self.spec["outputs"]["artifacts"],
               "outputParametersSpec": {n: p["type"] for n, p in self.spec["outputs"]["parameters"].items()},
               "containerSpec": {"image": c.get("image", ""), "cmdArgs": c.get("command", []) + c.get("args", [])}}
        return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()

    def cache_file(self, key: str) -> str:
        return os.path.join(self.root, "cache", key[:2], key + ".json")

    def from_cache(self, key: str) -> bool:
        try:
            with open(self.cache_file(key)) as f:
                entry = json.load(f)
        except (OSError, ValueError):
            return False
        # A local artifact deleted since (its run deleted) makes the entry useless; one the task never
        # wrote (a Metrics it only logged to) was never there to lose
        unwritten = set(entry.get("unwritten", ()))
        for arts in entry["artifacts"].values():
            if any(_local(a["uri"]) and a["uri"] not in unwritten and not os.path.exists(a["uri"]) for a in arts):
                return False
        self.publish(entry["parameters"], entry["artifacts"], cached=True)
        print(f"[launcher] task {self.spec['task']!r} taken from cache (key {key[:12]})", flush=True)
        return True

    def to_cache(self, key: str, params: dict[str, Any], arts: dict[str, list[dict[str, Any]]]) -> None:
        path = self.cache_file(key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path))
        unwritten = [a["uri"] for v in arts.values() for a in v if _local(a["uri"]) and not os.path.exists(a["uri"])]
        with os.fdopen(fd, "w") as f:
            json.dump({"parameters": params, "artifacts": arts, "unwritten": unwritten}, f)
        os.replace(tmp, path)

    def publish(self, params: dict[str, Any], arts: dict[str, list[dict[str, Any]]], cached: bool) -> None:
        os.makedirs(ARGO_OUT + "/p", exist_ok=True)
        os.makedirs(ARGO_OUT + "/a", exist_ok=True)
        for name, value in params.items():
            ptype = self.spec["outputs"]["parameters"][name]["type"]
            with open(os.path.join(ARGO_OUT, "p", name), "w") as f:
                # Argo trims one trailing newline from a parameter file; KFP keeps a string as its task
                # returned it (its launcher hands values on through ML Metadata, untrimmed): add the one trimmed
                f.write(to_text(value, ptype) + "\n")
        for name, value in arts.items():
            with open(os.path.join(ARGO_OUT, "a", name), "w") as f:
                json.dump(value, f)
            for i, a in enumerate(value):
                path = self.metadata_file(name, i, a["uri"])
                if path:
                    with open(path, "w") as f:
                        json.dump({"name": a["name"], "type": a["type"], "metadata": a["metadata"]}, f)
        with open(ARGO_OUT + "/cached", "w") as f:
            f.write("true" if cached else "false")

    def metadata_file(self, name: str, index: int, uri: str) -> str:
        """Where an artifact's metadata file goes: beside it when it lives in the kfp root (the runs'
        artifact area); else (an imported local file, a URI a component set) in this task's own folder,
        never beside a user's file, which may be read-only or not the run's to litter. "" for a remote URI."""
        if not uri.startswith("/"):
            return ""
        root = self.root.rstrip("/") + "/"
        if uri.startswith(root):
            return uri + ".kfp-metadata.json" if os.path.isdir(os.path.dirname(uri)) else ""
        os.makedirs(self.outdir, exist_ok=True)
        return os.path.join(self.outdir, name + (f"-{index}" if index else "") + ".kfp-metadata.json")

    # ---- the run ------------------------------------------------------------------------
    def run(self) -> int:
        os.makedirs(ARGO_OUT, exist_ok=True)
        params = self.parameters()
        in_arts = self.input_artifacts()
        if self.spec.get("importer"):
            return self.run_importer(params)
        image = (self.spec.get("container") or {}).get("image", "")
        if image.split(":")[0] in ("argostub/createpvc", "argostub/deletepvc"):
            return self.run_pvc(image, params)
        key = self.cache_key(params, in_arts) if self.spec.get("cache") else ""
        if key and self.from_cache(key):
            return 0
        out_arts = self.output_artifacts()
        os.makedirs(self.outdir, exist_ok=True)
        if self.spec.get("s3"):
            in_arts = self.from_s3(in_arts)
        param_files = self.output_parameter_files()
        for path in param_files.values():
            os.makedirs(os.path.dirname(path), exist_ok=True)
        executor_output = os.path.join(self.outdir, "executor_output.json")  # dsl.get_uri() lands beside it
        executor_input = {
            "inputs": {"parameterValues": params,
                       "artifacts": {n: {"artifacts": v} for n, v in in_arts.items()}},
            "outputs": {"parameters": {n: {"outputFile": p} for n, p in param_files.items()},
                        "artifacts": {n: {"artifacts": v} for n, v in out_arts.items()},
                        "outputFile": executor_output},
        }
        os.makedirs(self.workspace(), exist_ok=True)
        argv = self.command(executor_input, params, in_arts, out_arts, param_files)
        env = dict(os.environ)
        env.update(self.spec["container"].get("env") or {})
        env.update({k: v.replace("$POD_NAME", self.pod) for k, v in (self.spec.get("extra_env") or {}).items()})
        env.update(self.platform_env())
        self.platform_files()
        try:
            code = run_in_warm_process(argv, env, self.spec.get("lightweight"))
            if code is None:
                code = run_watching_network(argv, env, self.spec["task"])
            elif code != 0:
                report_network(self.spec["task"], own_log_tail())
        except OSError as exc:
            raise LaunchError(f"cannot start {argv[0]!r}: {exc.strerror}") from None
        sys.stdout.flush()
        if code != 0:
            return code
        out_params, out_arts = self.collect(param_files, executor_output, out_arts)
        if self.spec.get("s3"):
            out_arts = self.to_s3(out_arts)
        if key:
            self.to_cache(key, out_params, out_arts)
        self.publish(out_params, out_arts, cached=False)
        return 0

    def run_importer(self, params: dict[str, Any]) -> int:
        imp = self.spec["importer"]
        uri = imp["uri"] or str(params.get(imp["uri_parameter"], ""))
        if uri.startswith(REMOTE_SCHEMES):
            raise LaunchError(f"task {self.spec['task']!r} imports {uri}: a download this machine cannot make "
                              "(import a local path)")
        if not os.path.exists(uri):  # KFP's importer records the URI as it is: the file must be there to read
            raise LaunchError(f"task {self.spec['task']!r} imports {uri}: no such file or folder")
        art = {"name": os.path.basename(uri.rstrip("/")) or "artifact", "uri": uri, "metadata": imp["metadata"],
               "type": {"schemaTitle": imp["schema_title"], "schemaVersion": "0.0.1"}}
        self.publish({}, {"artifact": [art]}, cached=False)
        print(f"[launcher] imported {uri}", flush=True)
        return 0

    def run_pvc(self, image: str, params: dict[str, Any]) -> int:
        """KFP's CreatePVC / DeletePVC: here a claim is a folder the engine makes when a step mounts it."""
        if "createpvc" in image:
            name = params.get("pvc_name") or f"{self.job}-{params.get('pvc_name_suffix') or 'pvc'}"
            self.publish({"name": name}, {}, cached=False)
            print(f"[launcher] claim {name!r} is a local folder, made when a step mounts it", flush=True)
        else:
            self.publish({}, {}, cached=False)
            print(f"[launcher] claim {params.get('pvc_name')!r} kept (wfexec never deletes claims)", flush=True)
        return 0

    def collect(self, param_files: dict[str, str], executor_output: str,
                arts: dict[str, list[dict[str, Any]]]) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
        produced: dict[str, Any] = {}
        if os.path.exists(executor_output):
            with open(executor_output) as f:
                produced = json.load(f)
        params: dict[str, Any] = {}
        values = produced.get("parameterValues") or {}
        for name, p in self.spec["outputs"]["parameters"].items():
            if name in values:
                params[name] = values[name]
            elif os.path.exists(param_files[name]):
                with open(param_files[name]) as f:
                    params[name] = from_text(f.read(), p["type"], name)
        for name, listed in (produced.get("artifacts") or {}).items():
            if name in arts:
                given = listed.get("artifacts") or []
                for i, a in enumerate(given):
                    if i < len(arts[name]):
                        arts[name][i]["metadata"] = a.get("metadata") or {}
                        if a.get("uri"):
                            arts[name][i]["uri"] = a["uri"]
                        if a.get("custom_path"):  # Artifact.set_path: the file was written elsewhere
                            copy_into(a["custom_path"], local_path(arts[name][i]["uri"]))
        return params, arts

    def command(self, executor_input: dict[str, Any], params: dict[str, Any],
                in_arts: dict[str, list[dict[str, Any]]], out_arts: dict[str, list[dict[str, Any]]],
                param_files: dict[str, str]) -> list[str]:
        c = self.spec["container"]
        resolver = Placeholders(executor_input, params, in_arts, out_arts, param_files, self.job_placeholders(),
                                self.spec["inputs"]["parameters"])
        argv = [a for part in c["command"] + c["args"] for a in resolver.expand(part)]
        light = self.spec.get("lightweight")
        if light:
            argv = lightweight_argv(argv, light)
        return argv


def lightweight_argv(argv: list[str], light: dict[str, Any]) -> list[str]:
    """A lightweight Python component's `sh -c "pip install … && $0 $@" sh -ec '…executor_main…' CODE ARGS`
    becomes `python -m kfp.dsl.executor_main --component_module_path FILE ARGS`, in the prepared
    environment: the packages are already there, so nothing is installed at run time."""
    code_at = light["code_index"]
    code, rest = argv[code_at], argv[code_at + 1:]
    if light.get("warm"):  # the venv's warm process runs it (kfp/v2/warm_client.py); PATH for its fallback
        os.environ["PATH"] = light["path"]
        return [*light["warm"], code, *rest]
    folder = tempfile.mkdtemp(dir=WORK)
    path = os.path.join(folder, "ephemeral_component.py")
    with open(path, "w") as f:
        f.write(code)
    os.environ["PYTHONPATH"] = os.pathsep.join([light["pythonpath"]] + (
        [os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else []))
    os.environ["_KFP_RUNTIME"] = "true"
    return [light["python"], "-m", "kfp.dsl.executor_main", "--component_module_path", path] + rest


def main(argv: list[str]) -> int:
    try:
        spec = json.loads(base64.b64decode(argv[0]))
        return Launch(spec, argv[1:]).run()
    except LaunchError as exc:
        print(f"kfp launcher: {exc}", file=sys.stderr, flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

