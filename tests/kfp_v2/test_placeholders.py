"""KFP's structured placeholders in a container component's arguments: `Concat` (nested, around an
`IfPresent`) and `IfPresent` with its input given, left out, and with an `Else`."""

from __future__ import annotations

import json
from pathlib import Path

from tests.kfp_v2.helpers import param, submit
from tests.kfp_v2.ir_builder import container, pipeline, task, write
from tests.kfp_v2.test_task_settings import out_file


def test_concat_and_if_present_expand_as_kfp_does(tmp_path: Path) -> None:
    given = "{{$.inputs.parameters['given']}}"
    absent = "{{$.inputs.parameters['absent']}}"
    args = [
        json.dumps({"Concat": ["<", given, ">", {"Concat": ["[", given, "]"]}]}),
        json.dumps({"IfPresent": {"InputName": "given", "Then": ["--given", given]}}),
        json.dumps({"IfPresent": {"InputName": "absent", "Then": ["--absent", absent]}}),
        json.dumps({"IfPresent": {"InputName": "absent", "Then": ["--absent"], "Else": ["--no-absent"]}}),
        json.dumps({"Concat": ["x=", {"IfPresent": {"InputName": "given", "Then": given}}]}),
    ]
    show = container('(IFS="|"; printf "%s" "$*") > "$0"', out_file("Output"), *args,
                     inputs={"given": "STRING", "absent": "STRING"}, outputs={"Output": "STRING"})
    show["inputDefinitions"]["parameters"]["absent"]["isOptional"] = True
    doc = pipeline("placeholders", {"show": task("show", inputs={"parameters": {
        "given": {"runtimeValue": {"constant": "v"}}}})}, {"show": show})
    wf = submit(tmp_path / "home", write(tmp_path / "placeholders.yaml", doc))
    assert wf["status"]["phase"] == "Succeeded"
    assert param(wf, "show") == ["<v>[v]|--given|v|--no-absent|x=v"]
