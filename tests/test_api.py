"""The API the command line goes through: build (and its unchanged shortcut), verify, new,
schema; and the command line's own description of its arguments."""

from __future__ import annotations

import gc
import re
import shutil
from pathlib import Path

import pytest
import yaml

from generator import api
from generator.cli import EXAMPLES, main
from generator.cli_reference import reference
from generator.errors import InputError, TopologyInvalid, UsageError
from generator.inputs.project import DNS_LABEL_MAX
from generator.verify.sources import CRDS_ENV
from tests.helpers import ROOT, SEED

GENERATOR = ROOT / "generator"


# --- build and its shortcut ---------------------------------------------------------------------


def test_topology_files_are_those_named_or_the_whole_project(seeded: Path) -> None:
    named = [Path("elsewhere.yaml")]
    named[0].write_text("")
    assert api.topology_files(named) == (named, False)
    assert api.topology_files([]) == ([seeded / "topologies" / SEED.name], True)
    shutil.rmtree(seeded / "topologies")
    with pytest.raises(InputError, match="no topologies/ folder here"):
        api.topology_files([])


def test_up_to_date_only_after_a_build_and_until_something_changes(seeded: Path) -> None:
    paths, prune = api.topology_files([])
    output = Path("output")
    assert api.up_to_date(paths, output, prune) is None  # never built
    reports = api.build(paths, output, prune=prune)
    count = len([p for p in (output / "icp-iks-bookinfo").rglob("*") if p.is_file()])
    assert [r.name for r in reports] == ["icp-iks-bookinfo"]
    assert api.up_to_date(paths, output, prune) == [("icp-iks-bookinfo", count)]

    edited = output / "icp-iks-bookinfo" / "apply.sh"
    edited.write_text(edited.read_text() + "# by hand\n")
    assert api.up_to_date(paths, output, prune) is None
    api.build(paths, output, prune=prune)
    assert api.up_to_date(paths, output, prune) == [("icp-iks-bookinfo", count)]

    topology = paths[0]
    topology.write_text(topology.read_text().replace("reviews: {v1: 50, v3: 50}",
                                                     "reviews: {v1: 40, v3: 60}"))
    assert api.up_to_date(paths, output, prune) is None


def test_build_and_check_pause_the_cycle_collector_only_while_they_run(
        seeded: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bool] = []
    real_render = api.render

    def render(topology: object) -> object:
        seen.append(gc.isenabled())
        return real_render(topology)  # type: ignore[arg-type]

    monkeypatch.setattr(api, "render", render)
    paths, prune = api.topology_files([])
    api.build(paths, Path("output"), prune=prune)
    api.check(paths, Path("output"), prune=prune)
    assert seen == [False, False] and gc.isenabled()
    paths[0].write_text("name: [broken\n")
    with pytest.raises(TopologyInvalid):
        api.build(paths, Path("output"), prune=prune)
    assert gc.isenabled()


def test_build_answers_an_unchanged_rebuild_from_the_record(
        seeded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build"]) == 0
    first = capsys.readouterr().out
    assert re.fullmatch(r"output/icp-iks-bookinfo: \d+ added, 0 changed, 0 removed, "
                        r"0 unchanged\n", first)
    assert main(["build"]) == 0
    again = capsys.readouterr().out
    assert re.fullmatch(r"output/icp-iks-bookinfo: up to date \(\d+ files\)\n", again)


# --- verify -----------------------------------------------------------------------------------


def test_verify_checks_the_output_of_valid_topologies(
        reference_dir: Path, seeded: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CRDS_ENV, raising=False)
    paths, prune = api.topology_files([])
    api.build(paths, Path("output"), prune=prune)
    report = api.verify(paths, Path("output"), crds=reference_dir / "istio-1.30.3")
    assert report.ok and report.objects > 0 and not report.findings

    gateway = seeded / "output/icp-iks-bookinfo/icp/traffic/ingress-bookinfo.yaml"
    gateway.write_text(gateway.read_text().replace("number: 8080", "number: high"))
    report = api.verify(paths, Path("output"), crds=reference_dir / "istio-1.30.3")
    assert not report.ok
    assert [(f.file, f.path) for f in report.findings] == [
        ("icp-iks-bookinfo/icp/traffic/ingress-bookinfo.yaml", "spec.servers[0].port.number")]


def test_verify_refuses_an_invalid_topology(seeded: Path) -> None:
    topology = seeded / "topologies" / SEED.name
    topology.write_text(topology.read_text().replace("name: icp-iks-bookinfo", "name: Bad"))
    with pytest.raises(TopologyInvalid):
        api.verify([topology], Path("output"))


# --- new and schema -------------------------------------------------------------------------


def test_starter_topology_is_valid_and_named(tmp_path: Path) -> None:
    text = api.starter_topology("lab")
    assert text.startswith("# yaml-language-server: $schema=")
    assert yaml.safe_load(text)["name"] == "lab"
    path = tmp_path / "lab.yaml"
    path.write_text(text)
    result = api.check_file(path)
    assert result.valid and not result.warnings


@pytest.mark.parametrize("name", ["Lab", "lab_1", "-lab", "", "a" * (DNS_LABEL_MAX + 1)])
def test_starter_topology_refuses_a_name_that_is_not_a_dns_label(name: str) -> None:
    with pytest.raises(UsageError, match="not a DNS-1123 label"):
        api.starter_topology(name)


def test_new_topology_writes_once_unless_forced(project: Path) -> None:
    written = api.new_topology("lab")
    assert written == project / "topologies" / "lab.yaml"
    assert written.read_text() == api.starter_topology("lab")
    written.write_text("# mine\n")
    with pytest.raises(UsageError, match="exists; pass --force"):
        api.new_topology("lab")
    assert written.read_text() == "# mine\n"
    assert api.new_topology("lab", force=True) == written
    assert written.read_text() == api.starter_topology("lab")
    elsewhere = api.new_topology("lab", project / "deep" / "er" / "x.yaml")
    # The modeline names the project's schema file from where the topology is, and it is there.
    assert elsewhere.read_text() == api.starter_topology(
        "lab", "../../schemas/topology.schema.json")
    assert (project / "schemas" / "topology.schema.json").read_text() == api.schema_text()


def test_write_new_file_reports_what_it_cannot_write(project: Path) -> None:
    (project / "file").write_text("")
    with pytest.raises(InputError, match=r"cannot write file/x\.yaml: "):
        api.write_new_file(Path("file") / "x.yaml", "text")


def test_schema_text_is_the_shipped_schema() -> None:
    assert api.schema_text() == (ROOT / "schemas" / "topology.schema.json").read_text()


# --- the command line's description of itself --------------------------------------------


def _help(capsys: pytest.CaptureFixture[str], *command: str) -> str:
    with pytest.raises(SystemExit):
        main([*command, "--help"])
    return capsys.readouterr().out


def test_reference_describes_every_command_as_help_does(
        capsys: pytest.CaptureFixture[str]) -> None:
    described = reference()
    assert described.program.name == "meshgen"
    assert [c.name for c in described.commands] == list(EXAMPLES)
    assert [o.flags for o in described.program.options] == [("--version",), ("--project",)]
    for command in (described.program, *described.commands):
        shown = _help(capsys, *([command.name] if command is not described.program else []))
        assert shown.startswith(f"usage: {command.usage}")
        assert " ".join(command.summary.split()) in " ".join(shown.split())
        assert command.examples in shown
        for option in command.options:
            assert option.help and " ".join(option.help.split()) in " ".join(shown.split())
            for flag in option.flags:
                assert re.search(rf"(^|[\s,]){re.escape(flag)}\b", shown), (command.name, flag)
            if option.metavar:
                assert option.metavar in shown
    # Nothing --help lists is left out (but -h itself).
    for command in described.commands:
        listed = set(re.findall(r"^\s+(-[-\w]+)", _help(capsys, command.name), re.M))
        flags = {flag for option in command.options for flag in option.flags}
        assert listed - {"-h"} <= flags, command.name


def test_reference_gives_values_defaults_and_choices() -> None:
    commands = {c.name: c for c in reference().commands}
    build = {o.flags: o for o in commands["build"].options}
    (files,) = [o for o in commands["build"].options if not o.flags]
    assert (files.metavar, files.optional, files.repeated, files.default) == (
        "FILE", True, True, None)
    output = build[("-o", "--output")]
    assert (output.metavar, output.default, output.choices) == ("DIR", None, ())
    assert build[("-q", "--quiet")].metavar is None
    assert build[("-q", "--quiet")].default is None
    fmt = {o.flags: o for o in commands["validate"].options}[("--format",)]
    assert (fmt.metavar, fmt.default, fmt.choices) == (
        "{text,json,github,sarif}", "text", ("text", "json", "github", "sarif"))
    (name,) = [o for o in commands["new"].options if not o.flags]
    assert (name.metavar, name.optional, name.repeated) == ("name", False, False)
    addr = {o.flags: o for o in commands["docs"].options}[("-a", "--dev-addr")]
    assert (addr.metavar, addr.default) == ("IP:PORT", "127.0.0.1:8000")
