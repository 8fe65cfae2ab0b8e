"""meshgen init: a project that validates and builds at once, whose CI workflow and pre-commit
configuration are what GitHub and pre-commit accept, and which never overwrites unasked."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from generator.api import schema_text
from generator.cli import main
from generator.scaffold import HOOKS
from tests.helpers import ROOT, SchemaStore, schema_errors

FILES = ["topologies/mesh-lab.yaml", "schemas/topology.schema.json", ".pre-commit-config.yaml",
         ".github/workflows/meshgen.yml", "meshgen.toml", ".gitignore"]


@pytest.fixture
def lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path / "Mesh Lab"


def test_init_makes_a_project_that_validates_and_builds(
        lab: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", str(lab)]) == 0
    err = capsys.readouterr().err
    assert sorted(str(p.relative_to(lab)) for p in lab.rglob("*") if p.is_file()) == \
        sorted(FILES)
    assert "next: edit Mesh Lab/topologies/mesh-lab.yaml" in err
    starter = (lab / "topologies" / "mesh-lab.yaml").read_text()
    assert starter.startswith("# yaml-language-server: $schema=../schemas/topology.schema.json\n")
    assert (lab / "schemas" / "topology.schema.json").read_text() == schema_text()
    assert main(["--project", str(lab), "validate"]) == 0
    assert main(["--project", str(lab), "build", "-q"]) == 0
    assert main(["--project", str(lab), "check"]) == 0
    assert (lab / "output" / "mesh-lab" / "apply.sh").is_file()
    ignored = (lab / ".gitignore").read_text().splitlines()
    assert "/output/.meshgen*" in ignored and "/site/" in ignored
    assert any((lab / "output").glob(".meshgen*"))  # what the first line keeps out of git


def test_init_refuses_to_overwrite_unless_forced(lab: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    lab.mkdir()
    (lab / ".gitignore").write_text("*.pyc\n")
    (lab / "meshgen.toml").write_text("# mine\n")
    assert main(["init", str(lab)]) == 2
    err = capsys.readouterr().err
    assert "1 file exist" in err and "meshgen.toml" in err and "--force" in err
    assert sorted(p.name for p in lab.iterdir()) == [".gitignore", "meshgen.toml"]
    assert (lab / "meshgen.toml").read_text() == "# mine\n"
    assert main(["init", str(lab), "--force"]) == 0
    assert (lab / "meshgen.toml").read_text() != "# mine\n"
    # .gitignore is added to, never replaced; a second run adds nothing more.
    ignore = (lab / ".gitignore").read_text()
    assert ignore.startswith("*.pyc\n\n# meshgen:")
    assert main(["init", str(lab), "--force"]) == 0
    assert (lab / ".gitignore").read_text() == ignore
    assert main(["init", str(lab / "meshgen.toml")]) == 2
    assert main(["init", str(lab / "x"), "--name", "Bad_Name"]) == 2


def test_the_settings_file_lists_every_setting_at_its_default(lab: Path) -> None:
    from tests.helpers import TOML as tomllib

    assert main(["init", str(lab)]) == 0
    text = (lab / "meshgen.toml").read_text()
    uncommented = "\n".join(line[2:] for line in text.splitlines()
                            if line.startswith("# ") and not line.startswith("#   ")
                            and ("=" in line or line.startswith("# [")))
    from generator.inputs.settings import Settings, read_settings

    (lab / "all.toml").write_text(uncommented)
    assert tomllib.loads(uncommented)["verify"]["timeout"] == 30.0
    assert read_settings(lab / "all.toml") == Settings(source=str(lab / "all.toml"))


def test_the_hooks_are_those_meshgen_offers(lab: Path) -> None:
    offered = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert [{k: v for k, v in hook.items() if k not in ("language", "description")}
            for hook in offered] == HOOKS
    assert all(hook["language"] == "python" for hook in offered)
    assert main(["init", str(lab)]) == 0
    config = yaml.safe_load((lab / ".pre-commit-config.yaml").read_text())
    (repo,) = config["repos"]
    assert repo["repo"] == "local"
    assert [{**hook, "language": "python"} for hook in repo["hooks"]] == [
        {k: v for k, v in hook.items() if k != "description"} for hook in offered]


def test_the_workflow_and_pre_commit_files_match_their_schemas(
        lab: Path, schemastore: SchemaStore) -> None:
    assert main(["init", str(lab)]) == 0
    workflow = yaml.safe_load((lab / ".github" / "workflows" / "meshgen.yml").read_text())
    assert not schema_errors(schemastore.validator(
        "https://json.schemastore.org/github-workflow.json"), workflow)
    runs = [step.get("run", "") for step in workflow["jobs"]["meshgen"]["steps"]]
    assert "meshgen validate --format github" in runs
    assert "meshgen check --format github" in runs
    assert "meshgen verify --format github" in runs
    assert "pull_request" in workflow["on"]
    pre_commit = yaml.safe_load((lab / ".pre-commit-config.yaml").read_text())
    assert not schema_errors(schemastore.validator(
        "https://json.schemastore.org/pre-commit-config.json"), pre_commit)
