from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from generator import __version__
from generator.cli import EXAMPLES, main
from tests.helpers import ROOT, SEED, TOPOLOGIES


def run(*args: str, cwd: Path, env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd, text=True,
                          capture_output=True, env={**os.environ, **(env or {})}, timeout=120)


def test_version_and_help(tmp_path: Path) -> None:
    done = run("--version", cwd=tmp_path)
    assert (done.returncode, done.stdout.strip()) == (0, f"meshgen {__version__}")
    done = run("--help", cwd=tmp_path)
    assert done.returncode == 0
    for command in EXAMPLES:
        assert command in done.stdout


@pytest.mark.parametrize("command", sorted(EXAMPLES))
def test_every_command_has_examples_in_help(command: str, capsys: pytest.CaptureFixture[str]
                                            ) -> None:
    with pytest.raises(SystemExit) as exited:
        main([command, "--help"])
    assert exited.value.code == 0
    assert "examples:" in capsys.readouterr().out


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage:" in capsys.readouterr().out


def test_validate_exit_codes(seeded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate"]) == 0
    bad = seeded / "topologies" / "bad.yaml"
    bad.write_text(SEED.read_text().replace("name: icp-iks-bookinfo", "name: Bad_Name"))
    assert main(["validate"]) == 1
    out = capsys.readouterr().out
    assert "topologies/bad.yaml:3:7: error[invalid-value]: name:" in out
    assert main(["validate", "topologies/missing.yaml"]) == 2


def test_each_problem_links_its_rule_when_the_site_is_published(
        seeded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = seeded / "topologies" / "icp-iks-bookinfo.yaml"
    bad.write_text(bad.read_text().replace("provider: icp", "provider: gke"))
    assert main(["validate"]) == 1
    assert "see:" not in capsys.readouterr().out  # no site_url: nothing to link to
    (seeded / "mkdocs.yml").write_text(
        "site_name: x\nsite_url: https://mesh.example.org/docs\nuse_directory_urls: false\n"
        "markdown_extensions:\n  - pymdownx.emoji:\n"
        "      emoji_index: !!python/name:material.extensions.emoji.twemoji\n")
    assert main(["validate"]) == 1
    lines = capsys.readouterr().out.splitlines()
    at = next(i for i, line in enumerate(lines) if "error[invalid-value]" in line)
    assert lines[at + 1].startswith("    hint: did you mean 'generic'?")
    assert lines[at + 2] == "    see: https://mesh.example.org/docs/reference/rules.html#invalid-value"


def test_rule_pages_follow_the_sites_url_style() -> None:
    from generator.inputs.site import SiteAddress

    assert SiteAddress("https://x.org/").rule("cidr-overlap") == (
        "https://x.org/reference/rules/#cidr-overlap")
    assert SiteAddress("https://x.org/", directory_urls=False).page("index.md") == (
        "https://x.org/index.html")


def test_validate_json(seeded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = seeded / "topologies" / "icp-iks-bookinfo.yaml"
    bad.write_text(bad.read_text().replace("psk: {env: ICP_IKS_PSK}", "psk: s3cret"))
    assert main(["validate", "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report[0]["valid"] is False
    problem = report[0]["problems"][0]
    assert problem["rule"] == "literal-secret"
    assert problem["path"] == "vpn[0].psk"
    assert isinstance(problem["line"], int) and isinstance(problem["column"], int)
    assert "s3cret" not in json.dumps(report)


def test_no_topologies_folder_is_a_usage_error(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["validate"]) == 2
    assert "meshgen init" in capsys.readouterr().err


def test_build_check_diff_cycle(seeded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build"]) == 0
    assert main(["check"]) == 0
    folder = seeded / "output" / "icp-iks-bookinfo"
    target = folder / "icp" / "namespaces.yaml"
    original = target.read_text()

    target.write_text(original + "# local edit\n")
    capsys.readouterr()
    assert main(["check"]) == 1
    captured = capsys.readouterr()
    assert "-# local edit" in captured.out and "changed" in captured.err
    assert main(["diff"]) == 0
    assert main(["diff", "--exit-code"]) == 1

    target.unlink()
    assert main(["check"]) == 1
    (folder / "stray.yaml").write_text("x: 1\n")
    assert main(["build"]) == 0
    assert not (folder / "stray.yaml").exists()
    assert target.read_text() == original
    assert main(["check"]) == 0


def test_api_check_raises_drift_naming_the_file(seeded: Path) -> None:
    from generator import api
    from generator.errors import OutputDrift

    paths = [seeded / "topologies" / SEED.name]
    output = seeded / "output"
    api.build(paths, output)
    api.check(paths, output)
    target = output / "icp-iks-bookinfo" / "icp" / "namespaces.yaml"
    target.write_text(target.read_text() + "# local edit\n")
    with pytest.raises(OutputDrift) as raised:
        api.check(paths, output)
    assert raised.value.exit_code == 1
    assert "changed  output/icp-iks-bookinfo/icp/namespaces.yaml" in str(raised.value)
    assert "+# local edit" not in str(raised.value) and "-# local edit" in str(raised.value)


def test_build_refuses_invalid_and_writes_nothing(seeded: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build"]) == 0
    before = {p: p.read_bytes() for p in (seeded / "output").rglob("*") if p.is_file()}
    topo = seeded / "topologies" / "icp-iks-bookinfo.yaml"
    topo.write_text(topo.read_text().replace("reviews: {v1: 50, v3: 50}",
                                             "reviews: {v1: 50, v3: 49}"))
    assert main(["build"]) == 1
    assert "weights-sum" in capsys.readouterr().err
    after = {p: p.read_bytes() for p in (seeded / "output").rglob("*") if p.is_file()}
    assert after == before


def test_stale_output_of_a_removed_topology(seeded: Path) -> None:
    other = seeded / "topologies" / "second.yaml"
    other.write_text(SEED.read_text().replace("name: icp-iks-bookinfo", "name: second"))
    assert main(["build"]) == 0
    assert (seeded / "output" / "second" / "MANIFEST.json").exists()
    other.unlink()
    assert main(["check"]) == 1
    assert main(["build"]) == 0
    assert not (seeded / "output" / "second").exists()
    # A folder meshgen did not write is left alone.
    (seeded / "output" / "notes").mkdir()
    assert main(["build"]) == 0 and (seeded / "output" / "notes").exists()


def test_duplicate_topology_names_are_refused(seeded: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(SEED, seeded / "topologies" / "copy.yaml")
    assert main(["validate"]) == 1
    assert "duplicate-topology" in capsys.readouterr().out


def test_new_writes_a_valid_starter(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["new", "lab"]) == 0
    written = project / "topologies" / "lab.yaml"
    assert written.read_text().startswith("# yaml-language-server: $schema=")
    assert main(["validate", str(written)]) == 0
    assert main(["new", "lab"]) == 2  # exists
    assert main(["new", "Not_A_Label"]) == 2
    assert main(["new", "lab", "-o", "-"]) == 0


def test_schema_command_prints_the_shipped_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    assert capsys.readouterr().out == (ROOT / "schemas" / "topology.schema.json").read_text()


def test_five_mistakes_reported_together(tmp_path: Path) -> None:
    text = SEED.read_text()
    for old, new in [
        ("  mtls: strict", "  mtls: strict\n  mtsl: strict"),
        ("podCIDR: 172.30.0.0/16", "podCIDR: 10.1.0.0/16"),
        ("esp: aes256gcm16-ecp384", "esp: 3des-sha1-modp1024"),
        ("psk: {env: ICP_IKS_PSK}", "psk: hunter2"),
        ("reviews: {v1: 50, v3: 50}", "reviews: {v1: 50, v3: 40}"),
    ]:
        assert old in text
        text = text.replace(old, new, 1)
    path = tmp_path / "five.yaml"
    path.write_text(text)
    done = run("validate", str(path), cwd=tmp_path)
    assert done.returncode == 1
    lines = [line for line in done.stdout.splitlines() if ": error[" in line]
    rules = {line.split("error[")[1].split("]")[0] for line in lines}
    assert rules == {"unknown-field", "cidr-overlap", "weak-crypto", "literal-secret",
                     "weights-sum"}
    assert all(line.startswith("five.yaml:") for line in lines)
    assert "Traceback" not in done.stdout + done.stderr


def test_internal_error_is_reported_without_traceback(
        seeded: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import generator.api

    def broken(_topology: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(generator.api, "render", broken)
    assert main(["build"]) == 3
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: boom" in err and "MESHGEN_DEBUG" in err


def test_every_example_topology_is_valid() -> None:
    from generator.api import check_files

    results = check_files(sorted(TOPOLOGIES.glob("*.yaml")))
    assert results
    for result in results:
        assert result.valid, [p.format() for p in result.problems]
        first = (TOPOLOGIES / Path(result.display).name).read_text().splitlines()[0]
        assert first == "# yaml-language-server: $schema=../schemas/topology.schema.json"
