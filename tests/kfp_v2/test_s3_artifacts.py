"""KFP v2 artifacts in the run's S3 artifact repository (a moto server), chosen as for any run."""

from __future__ import annotations

import json
from pathlib import Path

from tests.kfp_v2.helpers import artifacts, param, wfexec
from tests.kfp_v2.ir_builder import container, pipeline, task, write
from tests.support.moto_server import MotoS3, moto_s3  # noqa: F401 - a fixture

DATASET = {"artifactType": {"schemaTitle": "system.Dataset", "schemaVersion": "0.0.1"}}


def test_artifacts_go_to_the_s3_repository_and_come_back(tmp_path: Path, moto_s3: MotoS3) -> None:  # noqa: F811
    home = tmp_path / "home"
    for key, value in (("accessKey", moto_s3.access_key), ("secretKey", moto_s3.secret_key)):
        (home / "secrets" / "s3-creds").mkdir(parents=True, exist_ok=True)
        (home / "secrets" / "s3-creds" / key).write_text(value)
    moto_s3.client().create_bucket(Bucket="kfp-bucket")
    config = tmp_path / "config.yaml"
    config.write_text("artifactRepository:\n  s3:\n    bucket: kfp-bucket\n"
                      f"    endpoint: {moto_s3.endpoint}\n    insecure: true\n"
                      "    accessKeySecret: {name: s3-creds, key: accessKey}\n"
                      "    secretKeySecret: {name: s3-creds, key: secretKey}\n")
    make = container('mkdir -p "$0"; printf one > "$0/a.txt"; printf two > "$0/b.txt"; printf solo > "$1"',
                     "{{$.outputs.artifacts['folder'].path}}", "{{$.outputs.artifacts['single'].path}}")
    make["outputDefinitions"] = {"artifacts": {"folder": DATASET, "single": DATASET}}
    read = container('printf "%s+%s+%s" "$(cat "$0/a.txt")" "$(cat "$0/b.txt")" "$(cat "$1")" > "$2"',
                     "{{$.inputs.artifacts['folder'].path}}", "{{$.inputs.artifacts['single'].path}}",
                     "{{$.outputs.parameters['Output'].output_file}}", outputs={"Output": "STRING"})
    read["inputDefinitions"] = {"artifacts": {"folder": DATASET, "single": DATASET}}
    tasks = {"make": task("make"), "read": task("read", inputs={"artifacts": {
        name: {"taskOutputArtifact": {"producerTask": "make", "outputArtifactKey": name}} for name in ("folder", "single")}})}
    file = write(tmp_path / "p.yaml", pipeline("s3", tasks, {"make": make, "read": read}))
    proc = wfexec(home, "submit", "--wait", str(file), "--config", str(config), "-o", "json")
    wf = json.loads(proc.stdout)
    assert wf["status"]["phase"] == "Succeeded", proc.stderr
    assert param(wf, "read") == ["one+two+solo"]  # read back from the bucket
    single = artifacts(wf, "make", "single")[0]["uri"]
    assert single.startswith("s3://kfp-bucket/kfp/" + wf["metadata"]["name"] + "/")
    s3 = moto_s3.client()
    key = single[len("s3://kfp-bucket/"):]
    assert s3.get_object(Bucket="kfp-bucket", Key=key)["Body"].read() == b"solo"
    assert s3.get_object(Bucket="kfp-bucket", Key=artifacts(wf, "make", "folder")[0]["uri"][len("s3://kfp-bucket/"):]
                         + "/b.txt")["Body"].read() == b"two"
    meta = json.loads(s3.get_object(Bucket="kfp-bucket", Key=key + ".kfp-metadata.json")["Body"].read())
    assert meta["type"]["schemaTitle"] == "system.Dataset"
    assert moto_s3.secret_key not in json.dumps(wf)  # only the secret's name is in the run
