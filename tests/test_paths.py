"""No name in a topology can make a file land outside ``output/<name>/``.

Names become folder and file names (the topology, clusters, apps, stages), so the schema keeps
them to DNS labels: every hostile name is refused at its own field, and nothing is written.
Behind the schema the writer refuses, on its own, any path that could leave the folder, and
a symbolic link put where an output folder belongs is replaced, never written through. The
one free-form name, the kubectl context, reaches the runbook whole and never runs as a command.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from generator.api import build, check_file, render
from generator.artifacts import Artifact, Kind, RenderedTree, render_tree
from generator.errors import ForeignEntries, TopologyInvalid
from generator.output.writer import LOCK_NAME, write_tree
from tests.helpers import child_env, install_recorders, require_program, valid_data
from tests.strategies import Data, fuzz_settings, to_yaml, topologies

DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")

HOSTILE = ["../evil", "..", ".", "/etc", "a/b", "a\\b", "", "x" * 64, "a\x00b", "-lead",
           "trail-", "Upper", "a.b", "a b", "~", "$(id)", "`id`", "a\nb", "é", "\u202egnp",
           "con:", "*"]

# The valid topology of the tests with an app defined in it, so that service and version
# names are the topology's own.
BASE: Data = {
    **valid_data(),
    "apps": [{
        "name": "shop",
        "services": [{"name": "cart", "ports": [{"port": 8080}],
                      "versions": [{"name": "v1", "image": "registry.example/cart:1"}]}],
        "placement": {"east": ["cart-v1"]},
    }],
    "traffic": [{"name": "all-v1", "routes": {"cart": "v1"}}],
}

# Where a name is written, and how to put a hostile one there (keeping references in step
# where the name is referred to elsewhere, so the name itself is what fails).
PathSetter = tuple[tuple[Any, ...], bool]


def _set_name(data: Data, position: str, value: str) -> PathSetter:
    if position == "topology":
        data["name"] = value
        return ("name",), False
    if position == "cluster":
        data["clusters"][1]["name"] = value
        data["vpn"][0]["between"][0] = value
        return ("clusters", 1, "name"), False
    if position == "placement":
        data["apps"][0]["placement"] = {value: ["cart-v1"]}
        return ("apps", 0, "placement", value), True
    if position == "app":
        data["apps"][0]["name"] = value
        return ("apps", 0, "name"), False
    if position == "namespace":
        data["apps"][0]["namespace"] = value
        return ("apps", 0, "namespace"), False
    if position == "service":
        data["apps"][0]["services"][0]["name"] = value
        data["apps"][0]["placement"] = {"east": [f"{value}-v1"]}
        data["traffic"][0]["routes"] = {value: "v1"}
        return ("apps", 0, "services", 0, "name"), False
    if position == "version":
        data["apps"][0]["services"][0]["versions"][0]["name"] = value
        return ("apps", 0, "services", 0, "versions", 0, "name"), False
    if position == "stage":
        data["traffic"][0]["name"] = value
        return ("traffic", 0, "name"), False
    raise AssertionError(position)


POSITIONS = ["topology", "cluster", "placement", "app", "namespace", "service", "version",
             "stage"]


def test_base_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "lab.yaml"
    path.write_text(to_yaml(BASE))
    assert check_file(path).valid


@pytest.mark.parametrize("position", POSITIONS)
@pytest.mark.parametrize("value", HOSTILE, ids=ascii)
def test_hostile_name_is_refused_at_its_field_and_nothing_is_written(
    position: str, value: str, tmp_path: Path
) -> None:
    data = copy.deepcopy(BASE)
    where, on_key = _set_name(data, position, value)
    path = tmp_path / "lab.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    result = check_file(path)
    assert not result.valid
    assert (where, on_key) in {(p.path, p.on_key) for p in result.errors}, [
        p.format() for p in result.errors]
    output = tmp_path / "output"
    with pytest.raises(TopologyInvalid):
        build([path], output)
    assert not output.exists()


@fuzz_settings(40)
@given(st.sampled_from(POSITIONS), st.text(max_size=70))
def test_any_accepted_name_is_a_dns_label(position: str, value: str) -> None:
    data = copy.deepcopy(BASE)
    _set_name(data, position, value)
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "lab.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
        result = check_file(path)
    if result.valid:
        assert DNS_LABEL.fullmatch(value) and len(value) <= 63, value


@fuzz_settings(10)
@given(topologies(max_clusters=5))
def test_a_build_writes_only_inside_its_folder(data: Data) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(scratch)
        path = base / "t.yaml"
        path.write_text(to_yaml(data))
        checked = check_file(path)
        assert checked.topology is not None and checked.valid
        root = base / "output"
        write_tree(root, render(checked.topology))
        written = {p.relative_to(root).as_posix() for p in root.rglob("*")}
        assert all(p.split("/")[0] in (data["name"], LOCK_NAME) for p in written), written
        assert not any(p.is_symlink() for p in root.rglob("*"))
        assert {p.name for p in base.iterdir()} == {"t.yaml", "output"}


ESCAPING_PATHS = ["../x.yaml", "a/../../x.yaml", "a/../b.yaml", "/etc/passwd", "a\\b.yaml",
                  "..\\x.yaml", "a//b.yaml", "a/", "", ".", "./a.yaml", "a/./b.yaml",
                  "a\x00b.yaml", "/", "..", "a/.."]


@pytest.mark.parametrize("bad", ESCAPING_PATHS, ids=ascii)
def test_writer_refuses_paths_that_could_leave_the_folder(bad: str) -> None:
    artifacts = [Artifact("east/ok.yaml", "a: 1\n", Kind.TEXT), Artifact(bad, "x\n", Kind.TEXT)]
    with pytest.raises(ValueError, match="refusing"):
        render_tree("lab", "lab.yaml", "0" * 64, artifacts)


@pytest.mark.parametrize("bad", ["../lab", "..", ".", "", "/lab", "a/b", "a\\b", "lab\x00"],
                         ids=ascii)
def test_writer_refuses_a_folder_name_that_is_not_one_plain_name(bad: str,
                                                                 tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="refusing"):
        render_tree(bad, "lab.yaml", "0" * 64, [Artifact("a.yaml", "a: 1\n", Kind.TEXT)])
    # A tree made by hand, not by render_tree, is refused by write_tree as well.
    handmade = RenderedTree(bad, {"a.yaml": b"a: 1\n"})
    with pytest.raises(ValueError, match="refusing"):
        write_tree(tmp_path / "output", handmade)
    assert not (tmp_path / "output").exists() or not any((tmp_path / "output").iterdir())


def test_writer_refuses_a_handmade_tree_with_an_escaping_path(tmp_path: Path) -> None:
    handmade = RenderedTree("lab", {"../escaped.yaml": b"x\n"})
    with pytest.raises(ValueError, match="refusing"):
        write_tree(tmp_path / "output", handmade)
    assert not (tmp_path / "escaped.yaml").exists()


def test_writer_accepts_plain_nested_paths(tmp_path: Path) -> None:
    artifacts = [Artifact("east/vpn/west/values.yaml", "a: 1\n", Kind.TEXT),
                 Artifact("apply.sh", "#!/bin/sh\ntrue\n", Kind.SCRIPT, executable=True),
                 Artifact("a-b/c_d.e/f.yaml", "b: 2\n", Kind.TEXT)]
    tree = render_tree("lab", "lab.yaml", "0" * 64, artifacts)
    write_tree(tmp_path, tree)
    assert (tmp_path / "lab" / "east" / "vpn" / "west" / "values.yaml").is_file()


def _tree_of(name: str) -> RenderedTree:
    return render_tree(name, "lab.yaml", "0" * 64,
                       [Artifact("east/namespaces.yaml", "a: 1\n", Kind.MANIFESTS)])


def test_a_symlinked_output_folder_is_refused_not_written_through(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "precious").write_text("keep\n")
    root = tmp_path / "output"
    root.mkdir()
    (root / "lab").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(ForeignEntries) as refused:
        write_tree(root, _tree_of("lab"))
    assert [(p.rule, str(p.location)) for p in refused.value.problems] == [
        ("output-link", str(root / "lab"))]
    assert [p.name for p in elsewhere.iterdir()] == ["precious"]
    assert (elsewhere / "precious").read_text() == "keep\n"
    assert (root / "lab").is_symlink()  # the user's link stays until the user removes it
    assert sorted(p.name for p in root.iterdir()) == sorted(["lab", LOCK_NAME])


def test_a_symlink_inside_the_old_tree_is_refused_not_followed(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "namespaces.yaml").write_text("keep\n")
    root = tmp_path / "output"
    write_tree(root, _tree_of("lab"))
    east = root / "lab" / "east"
    (east / "namespaces.yaml").unlink()
    east.rmdir()
    east.symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(ForeignEntries, match="output-link"):
        write_tree(root, _tree_of("lab"))
    assert (elsewhere / "namespaces.yaml").read_text() == "keep\n"
    east.unlink()  # what the hint says to do
    write_tree(root, _tree_of("lab"))
    assert (east / "namespaces.yaml").read_bytes().endswith(b"a: 1\n")


HOSTILE_CONTEXTS = {"east": "east;echo>pwned-semicolon", "west": "west|tee>pwned-pipe&&x(1)"}


def test_hostile_kubectl_contexts_run_no_command(tmp_path: Path) -> None:
    """Contexts may hold shell metacharacters (the schema allows all but quotes, blanks, '$'
    and backslashes); the runbook must pass them to kubectl whole and never run them."""
    data = copy.deepcopy(BASE)
    for cluster in data["clusters"]:
        cluster["context"] = HOSTILE_CONTEXTS[cluster["name"]]
    project = tmp_path / "project"
    (project / "topologies").mkdir(parents=True)
    (project / "topologies" / "lab.yaml").write_text(to_yaml(data))
    build([project / "topologies" / "lab.yaml"], project / "output")
    script = project / "output" / "lab" / "apply.sh"
    assert script.is_file(), "the build wrote no apply.sh"
    require_program("bash", package="bash")
    require_program("openssl", package="openssl")  # the runbook makes the mesh's root CA
    log = tmp_path / "recorded.jsonl"
    env = child_env(PATH=f"{install_recorders(tmp_path / 'bin')}:{os.environ['PATH']}",
                    RECORDER_LOG=str(log), LAB_PSK="lab-psk-value", HOME=str(tmp_path),
                    TMPDIR=str(tmp_path), MESHGEN_CA_DIR=str(tmp_path / "ca"))
    done = subprocess.run([str(script)], cwd=script.parent, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, timeout=600)
    assert done.returncode == 0, (done.stdout + done.stderr).decode()
    assert not [p for p in tmp_path.rglob("pwned*")], "a context ran as a command"
    contexts = set()
    for line in log.read_text().splitlines():
        argv = json.loads(line)["argv"]
        for k, arg in enumerate(argv):
            if arg in ("--context", "--kube-context"):
                contexts.add(argv[k + 1])
            elif arg.startswith(("--context=", "--kube-context=")):
                contexts.add(arg.split("=", 1)[1])
    assert contexts == set(HOSTILE_CONTEXTS.values())
