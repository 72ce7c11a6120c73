"""The libyaml path (spec/fast_yaml.py) reads exactly what the ruamel path reads: data, lines, readings.

Where the fast path declines (`Unsupported`) the loader takes the slow path, so only the texts it does
read are compared. Either way `load_text` must give one answer, and the fast path must actually carry
the corpus, or it would be dead weight.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wfexec.errors import SpecError
from wfexec.spec import fast_yaml
from wfexec.spec.loader import MAX_DEPTH, MAX_NODES, _load_slowly, load_text

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
REPO = Path(__file__).resolve().parents[2]


def _fast(text: str) -> list[fast_yaml.Loaded] | None:
    try:
        return fast_yaml.load_stream(text, MAX_NODES, MAX_DEPTH)
    except fast_yaml.Unsupported:
        return None


def _same_as_slow(text: str) -> bool:
    """Compare both paths on `text`; False when the fast path declined it."""
    fast = _fast(text)
    if fast is None:
        return False
    try:
        slow = _load_slowly(text, "t.yaml")
    except SpecError as exc:  # the fast path read something the slow one refuses
        assert "found character '\\t' that cannot start any token" in str(exc), text  # the one known case
        return True
    # repr: NaN equals itself there, and 1 and True or 1 and 1.0 differ
    assert [repr(d.data) for d in fast] == [repr(d.data) for d in slow], text
    assert [d.lines for d in fast] == [d.lines for d in slow], text
    assert [[repr(r) for r in d.readings] for d in fast] == [[repr(r) for r in d.readings] for d in slow], text
    return True


def _corpus(part: str) -> list[Path]:
    return sorted(p for p in (CORPUS / part).rglob("*") if p.suffix in (".yaml", ".yml", ".json") and p.is_file())


def test_the_corpus_is_all_there() -> None:
    assert sum(len(_corpus(part.name)) for part in CORPUS.iterdir() if part.is_dir()) > 600


@pytest.mark.parametrize("part", sorted(p.name for p in CORPUS.iterdir() if p.is_dir()))
def test_the_whole_corpus_reads_the_same_and_almost_all_of_it_fast(part: str) -> None:
    files = _corpus(part)
    fast = sum(_same_as_slow(p.read_text(encoding="utf-8")) for p in files)
    assert fast >= len(files) - 2  # today 2 files of 685 repeat a key; those take the slow path


SCALARS = ["yes", "Yes", "y", "N", "on", "OFF", "true", "False", "TRUE", "~", "null", "NULL", "", "0", "00", "-0",
           "0644", "-0755", "+0644", "-00", "010", "09", "0o17", "-0o17", "0x1F", "0x1f", "-0x1F", "0b101", "+12",
           "-3", "1.5", "1.", ".5", "-.5", "1e3", "1E3", "1.5e-3", ".5e+3", "1e400", ".inf", "-.Inf", "+.INF",
           ".nan", ".NaN", "-.nan", "0o", "0x", "1:20", "190:20:30", "0.1.2", "1-2", "+", "-", ".", "-a", "<a",
           "a b", "12abc", "0xZ", "2024-01-01", "2001-12-14t21:59:43.10-05:00", "1_000", "1_0.5", "<<", "=",
           "'yes'", '"0644"', '"a\\tb"', "'it''s'", "|\n    lit\n", ">-\n    fold\n    ed\n", "&a yes", "&b 0644",
           "!!str 1", "! a", "{{inputs.parameters.x}}"]


@pytest.mark.parametrize("scalar", SCALARS)
def test_a_scalar_reads_the_same_as_a_value_a_key_and_an_item(scalar: str) -> None:
    value = f"kind: Workflow\nspec:\n  v: {scalar}\n  w: 1\n"
    items = f"kind: Workflow\nspec:\n  v:\n  - {scalar}\n  - [{scalar.strip()}]\n"
    key = f"kind: Workflow\nspec:\n  {scalar.strip()}: 1\n  w: 2\n"
    for text in (value, items, key):
        _same_as_slow(text)


STRUCTURES = [
    "a: 1\n---\n---\nb: 2\n...\n--- # only a comment\n",  # empty documents keep their index
    "- a\n-\n- - b\n  -\n  - c: 1\n    d:\n",  # empty items and values
    "? a\n: 1\n? b\n",  # explicit keys
    "a: &x {b: 1, c: [yes, 0644]}\nd: *x\ne: [*x, *x]\n",  # aliases read again at each place
    "a: &x yes\nb: *x\n",  # an anchored plain scalar is still read as Kubernetes reads it
    "a: 1\nb: 2\na: 3\n",  # a repeated key
    "1: a\n'1': b\n",  # two keys, one text
    "yes: a\ntrue: b\n",
    "a: b\n  c\n  d\nx: 'e\n\n  f'\n",  # folded scalars
    '{"kind": "Workflow", "spec": {"a": [1, 2.5, true, null, "x"]}}',
    '{"a":\n  [1,\n   {"b": "c"}]}\n',
    "%YAML 1.1\n---\na: yes\n",
    "a: !!binary aGk=\n",
    "<<: {a: 1}\nb: 2\n",
    "a: [b, {c: d}, [e]]\n",
    "x: " + "[" * 120 + "]" * 120 + "\n",  # deeper than MAX_DEPTH
    "a: *undefined\n",
    "a: &x [*x]\n",  # a recursive alias
    "a: b: c\n",  # invalid YAML
    "\ta: 1\n",
    "[a, b]\n",
    "just text\n",
    "---\n|\n---\nx\n",  # ruamel reads one document here, libyaml two
    "a: b\tc\n",  # a tab in a plain scalar: libyaml (and go-yaml) take it, ruamel refused it
    "a: " + "1" * 5000 + "\n",  # more digits than Python converts
]


@pytest.mark.parametrize("text", STRUCTURES)
def test_structures_read_the_same(text: str) -> None:
    _same_as_slow(text)


def test_the_ordinary_shapes_take_the_fast_path() -> None:
    """What workflows are written with must not fall back (or the fast path would be dead weight)."""
    for text in (STRUCTURES[0], STRUCTURES[1], STRUCTURES[2], STRUCTURES[3], STRUCTURES[4], STRUCTURES[6],
                 STRUCTURES[8], STRUCTURES[9], STRUCTURES[10]):
        assert _same_as_slow(text), text


FUZZ = settings(derandomize=True, max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
TOKENS = ["\n", "  ", "- ", ": ", "---\n", "{", "}", "[", "]", ",", "&a ", "*a", "? ", "|\n", ">-\n", "'", '"', "#",
          "a", "yes", "0644", "1.5", "~", "kind: Workflow\n", "spec:\n", "- name: x\n", "  steps:\n", "on: 1\n"]
scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-2**70, max_value=2**70),
                    st.floats(allow_nan=False), st.sampled_from(SCALARS), st.text(max_size=8))
structures = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(SCALARS) | st.text(max_size=5), inner, max_size=4)),
    max_leaves=30)


@FUZZ
@given(st.lists(st.sampled_from(TOKENS + SCALARS), max_size=30))
def test_token_soup_reads_the_same(tokens: list[str]) -> None:
    _same_as_slow("".join(tokens))


@FUZZ
@given(structures)
def test_random_structures_read_the_same(data: object) -> None:
    import io

    from ruamel.yaml import YAML

    out = io.StringIO()
    YAML(typ="safe", pure=True).dump(data, out)
    _same_as_slow(out.getvalue())
    _same_as_slow(json.dumps(data))


def test_without_libyaml_the_slow_path_gives_the_same_documents(tmp_path: Path) -> None:
    """PyYAML built without libyaml: the loader still reads everything, through ruamel."""
    text = (REPO / "examples" / "hello-world.yaml").read_text() + "---\n" + STRUCTURES[3] + "kind: Workflow\n"
    with_libyaml = [(d.data, d.lines, d.readings) for d in load_text(text, "t.yaml")]
    code = ("import sys, json; sys.modules['yaml._yaml'] = None\n"
            "from wfexec.spec import fast_yaml; from wfexec.spec.loader import load_text\n"
            "assert not fast_yaml.available()\n"
            "docs = load_text(sys.stdin.read(), 't.yaml')\n"
            "print(json.dumps([[d.data, sorted([list(k), v] for k, v in d.lines.items()),"
            " [[list(r.path), r.text] for r in d.readings]] for d in docs]))")
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    out = subprocess.run([sys.executable, "-c", code], input=text, capture_output=True, text=True, env=env,
                         check=True).stdout
    expected = [[data, sorted([list(k), v] for k, v in lines.items()), [[list(r.path), r.text] for r in readings]]
                for data, lines, readings in with_libyaml]
    assert json.loads(out) == expected
    assert expected[1][2] == [[["a", "c", 0], "yes"], [["a", "c", 1], "0644"], [["d", "c", 0], "yes"],
                              [["d", "c", 1], "0644"], [["e", 0, "c", 0], "yes"], [["e", 0, "c", 1], "0644"],
                              [["e", 1, "c", 0], "yes"], [["e", 1, "c", 1], "0644"]]


def test_a_tab_inside_a_plain_scalar_reads_as_go_yaml_reads_it() -> None:
    """ruamel refused this; libyaml, whose port go-yaml is, keeps the tab in the value."""
    doc = load_text("kind: Workflow\nspec:\n  a: b\tc\n  d: 1\n", "t.yaml")[0]
    assert doc.data["spec"] == {"a": "b\tc", "d": 1} and doc.line_of(("spec", "d")) == 4
