"""The `platforms.kubernetes` document given a local meaning: secrets and ConfigMaps from $WFEXEC_HOME,
empty_dir, and one warning line for each setting that means nothing on one machine."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tests.kfp_v2.helpers import param, wfexec
from tests.kfp_v2.ir_builder import container, pipeline, task


def test_secrets_configmaps_and_empty_dir_reach_the_task(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "secrets" / "db").mkdir(parents=True)
    (home / "secrets" / "db" / "password").write_text("s3cret")
    (home / "secrets" / "db" / "user").write_text("ann")
    (home / "configmaps" / "settings").mkdir(parents=True)
    (home / "configmaps" / "settings" / "mode").write_text("fast")
    show = container('echo scratch > /scratch/f; printf "%s|%s|%s|%s" "$PW" "$(cat /mnt/db/user)" "$MODE" '
                     '"$(cat /scratch/f)" > "$0"', "{{$.outputs.parameters['Output'].output_file}}",
                     outputs={"Output": "STRING"})
    doc = pipeline("platforms", {"show": task("show")}, {"show": show})
    doc = [doc, {"platforms": {"kubernetes": {"deploymentSpec": {"executors": {"exec-show": {
        "secretAsEnv": [{"secretName": "db", "keyToEnv": [{"secretKey": "password", "envVar": "PW"}]}],
        "secretAsVolume": [{"secretName": "db", "mountPath": "/mnt/db"}],
        "configMapAsEnv": [{"configMapName": "settings", "keyToEnv": [{"configMapKey": "mode", "envVar": "MODE"}]}],
        "emptyDirMounts": [{"volumeName": "scratch", "mountPath": "/scratch"}],
        "nodeSelector": {"labels": {"gpu": "yes"}},
        "tolerations": [{"key": "k", "operator": "Exists"}],
    }}}}}}]
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump_all(doc, sort_keys=False))
    proc = wfexec(home, "submit", "--wait", str(path), "-o", "json")
    assert proc.returncode == 0, proc.stderr
    wf = json.loads(proc.stdout)
    assert param(wf, "show") == ["s3cret|ann|fast|scratch"]
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == [
        "warning: task 'show': platforms.kubernetes nodeSelector has no meaning on one machine; ignored",
        "warning: task 'show': platforms.kubernetes tolerations has no meaning on one machine; ignored"]
    assert "s3cret" not in json.dumps(wf["spec"])  # the compiled run holds the secret's name, not its value


def test_a_missing_secret_fails_the_task_naming_it(tmp_path: Path) -> None:
    show = container('echo "$PW"')
    doc = [pipeline("no-secret", {"show": task("show")}, {"show": show}),
           {"platforms": {"kubernetes": {"deploymentSpec": {"executors": {"exec-show": {
               "secretAsEnv": [{"secretName": "absent", "keyToEnv": [{"secretKey": "pw", "envVar": "PW"}]}]}}}}}}]
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump_all(doc, sort_keys=False))
    home = tmp_path / "home"
    proc = wfexec(home, "submit", "--wait", str(path), "-o", "name")
    assert proc.returncode == 1
    log = wfexec(home, "logs", proc.stdout.strip().splitlines()[-1]).stdout
    assert f"secret 'absent' has no key 'pw': expected the file {home}/secrets/absent/pw" in log


def test_a_pvc_mount_carries_files_from_one_task_to_the_next(tmp_path: Path) -> None:
    write_it = container('printf "from writer" > /mnt/vol/note')
    read_it = container('cat /mnt/vol/note > "$0"', "{{$.outputs.parameters['Output'].output_file}}",
                        outputs={"Output": "STRING"})
    doc = [pipeline("pvc", {"write": task("write"), "read": task("read", after=["write"])},
                    {"write": write_it, "read": read_it}),
           {"platforms": {"kubernetes": {"deploymentSpec": {"executors": {
               f"exec-{name}": {"pvcMount": [{"constant": "shared-claim", "mountPath": "/mnt/vol"}]}
               for name in ("write", "read")}}}}}]
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump_all(doc, sort_keys=False))
    proc = wfexec(tmp_path / "home", "submit", "--wait", str(path), "-o", "json")
    assert proc.returncode == 0, proc.stderr
    assert param(json.loads(proc.stdout), "read") == ["from writer"]
