"""A project anywhere: found from a subfolder, named with --project, set up by meshgen.toml or
[tool.meshgen]; topologies named as files, folders, names or standard input; one table of exit
codes for every command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from generator.cli import main
from generator.errors import SettingsInvalid
from generator.inputs.project import find_project
from generator.inputs.settings import Settings, VerifySettings, read_settings
from tests.helpers import SEED, VALID, child_env, edited, run_cli, write_tree

# --- finding the project ----------------------------------------------------------------------


def test_found_from_a_subfolder_by_its_topologies_folder(seeded: Path) -> None:
    deep = seeded / "docs" / "notes"
    deep.mkdir(parents=True)
    project = find_project(deep)
    assert (project.root, project.marker) == (seeded.resolve(), "topologies/")
    assert project.settings == Settings()


def test_a_settings_file_marks_the_project(tmp_path: Path) -> None:
    write_tree(tmp_path, {"meshgen.toml": 'topologies = "mesh/clusters"\n',
                          "mesh": {"clusters": {}, "sub": {}}})
    project = find_project(tmp_path / "mesh" / "sub")
    assert (project.root, project.marker) == (tmp_path.resolve(), "meshgen.toml")
    assert project.topologies == tmp_path.resolve() / "mesh" / "clusters"
    # The nearest folder wins, as with git: a topologies/ folder further down is a project.
    (tmp_path / "mesh" / "topologies").mkdir()
    assert find_project(tmp_path / "mesh" / "sub").root == (tmp_path / "mesh").resolve()


def test_pyproject_marks_the_project_only_with_a_meshgen_table(tmp_path: Path) -> None:
    write_tree(tmp_path, {"pyproject.toml": '[project]\nname = "infra"\n', "a": {}})
    assert not find_project(tmp_path / "a").found
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "infra"\n\n[tool.meshgen]\noutput = "generated"\n')
    project = find_project(tmp_path / "a")
    assert project.marker == "pyproject.toml"
    assert project.output == tmp_path.resolve() / "generated"


def test_the_walk_stops_at_the_top_of_a_git_repository(tmp_path: Path) -> None:
    write_tree(tmp_path, {"topologies": {}, "repo": {".git": {}, "sub": {}}})
    assert not find_project(tmp_path / "repo" / "sub").found
    assert find_project(tmp_path).found


def test_explicit_project_wins(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a": {"topologies": {}}, "b": {"topologies": {}}})
    project = find_project(tmp_path / "a", explicit=tmp_path / "b")
    assert (project.root, project.marker) == ((tmp_path / "b").resolve(), "--project")


def test_commands_run_from_a_subfolder(seeded: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    (seeded / "deep" / "er").mkdir(parents=True)
    monkeypatch.chdir(seeded / "deep" / "er")
    assert main(["build", "-q"]) == 0
    assert (seeded / "output" / "icp-iks-bookinfo" / "apply.sh").is_file()
    assert not (seeded / "deep" / "er" / "output").exists()
    assert main(["check"]) == 0
    assert "../../output/ is up to date" in capsys.readouterr().err
    target = seeded / "topologies" / SEED.name
    target.write_text(edited(target.read_text(), ("10.1.0.0/16", "10.1.0.1/16")))
    assert main(["validate"]) == 1
    # Locations are relative to where the command runs, as git shows paths.
    assert f"../../topologies/{SEED.name}:" in capsys.readouterr().out


def test_project_option_before_or_after_the_command(seeded: Path, tmp_path_factory:
                                                     pytest.TempPathFactory,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    monkeypatch.chdir(elsewhere)
    assert main(["validate"]) == 2
    assert main(["--project", str(seeded), "validate"]) == 0
    assert main(["validate", "--project", str(seeded)]) == 0
    assert main(["validate", "--project", str(elsewhere / "missing")]) == 2


# --- settings ---------------------------------------------------------------------------------


def test_settings_are_typed_and_read(tmp_path: Path) -> None:
    path = tmp_path / "meshgen.toml"
    path.write_text('output = "gen"\nsite-name = "Lab mesh"\n\n[verify]\ntimeout = 5\n'
                    'offline = true\nistio-url = "http://mirror/{version}/{file}"\n')
    settings = read_settings(path, "meshgen.toml")
    assert settings.output == "gen" and settings.site_name == "Lab mesh"
    assert settings.verify == VerifySettings(istio_url="http://mirror/{version}/{file}",
                                             timeout=5.0, offline=True)
    assert settings.source == "meshgen.toml"


def test_every_settings_mistake_is_located(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text('[project]\nname = "x"\n\n[tool.meshgen]\noutput = 3\nsite-nme = "x"\n\n'
                    '[tool.meshgen.verify]\ntimeout = "soon"\noffline = "yes"\n')
    with pytest.raises(SettingsInvalid) as raised:
        read_settings(path, "pyproject.toml")
    lines = str(raised.value).splitlines()
    assert lines[0] == ("pyproject.toml:5:1: error[settings]: 'output' must be a string, "
                        "not an integer")
    assert lines[1].startswith("pyproject.toml:6:1: error[settings]: unknown setting "
                               "'site-nme'")
    assert lines[2] == "    hint: did you mean 'site-name'?"
    assert lines[3].startswith("pyproject.toml:9:1: error[settings]: 'verify.timeout' must be "
                               "a number, not a string")
    assert lines[4].startswith("pyproject.toml:10:1: error[settings]: 'verify.offline' must be "
                               "true or false")


def test_broken_toml_is_located_and_exits_2(tmp_path: Path) -> None:
    write_tree(tmp_path, {"meshgen.toml": 'output = "gen"\nsite-name = \n', "topologies": {}})
    done = run_cli("validate", cwd=tmp_path)
    assert done.returncode == 2
    assert "meshgen.toml:2:" in done.stderr and "error[settings]: not valid TOML" in \
        done.stderr
    assert "Traceback" not in done.output


# --- what a topology argument may be ----------------------------------------------------------


def test_a_folder_means_every_topology_under_it(project: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(project / "topologies", {
        "lab.yaml": VALID,
        "staging": {"east.yml": edited(VALID, ("name: lab", "name: east")),
                    ".hidden.yaml": "not: [valid"},
        ".drafts": {"draft.yaml": "not: [valid"}, "notes.txt": "x"})
    assert main(["validate", "topologies/staging"]) == 0
    assert capsys.readouterr().err == "topologies/staging/east.yml: valid\n"
    assert main(["validate", "topologies"]) == 0
    assert capsys.readouterr().err.splitlines() == [
        "topologies/lab.yaml: valid", "topologies/staging/east.yml: valid"]
    (project / "empty").mkdir()
    assert main(["validate", "empty"]) == 2
    assert "a folder without topology files" in capsys.readouterr().err


def test_a_topology_name_stands_for_its_file(project: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    write_tree(project / "topologies", {"lab.yaml": VALID})
    assert main(["validate", "lab"]) == 0
    assert capsys.readouterr().err == "topologies/lab.yaml: valid\n"
    assert main(["validate", "nothere"]) == 2
    assert "nothere: no such file, nor a topology of that name in topologies/" in \
        capsys.readouterr().err


def test_standard_input_is_named_stdin(project: Path) -> None:
    bad = edited(VALID, ("podCIDR: 172.30.0.0/16", "podCIDR: 10.1.0.0/16"))
    done = subprocess.run([sys.executable, "-m", "generator", "validate", "-"], cwd=project,
                          input=bad.encode(), capture_output=True, env=child_env(), timeout=60,
                          check=False)
    assert done.returncode == 1
    out = done.stdout.decode()
    assert out.startswith("<stdin>:") and "error[cidr-overlap]" in out
    assert done.stderr.decode().startswith("<stdin>: invalid: ")
    good = subprocess.run([sys.executable, "-m", "generator", "validate", "-", "--format",
                           "json"], cwd=project, input=VALID.encode(), capture_output=True,
                          env=child_env(), timeout=60, check=False)
    assert good.returncode == 0
    assert json.loads(good.stdout)[0] == {"file": "<stdin>", "valid": True, "problems": []}
    assert run_cli("build", "-", cwd=project).returncode == 2


# --- exit codes -------------------------------------------------------------------------------


def test_exit_codes_are_the_same_everywhere(seeded: Path, capsys: pytest.CaptureFixture[str]
                                            ) -> None:
    # 2: a missing file, a folder where a file is needed, an unreadable file, a bad option.
    for command in ("validate", "build", "check", "diff", "verify"):
        assert main([command, "missing.yaml"]) == 2, command
        assert "missing.yaml: no such file" in capsys.readouterr().err
    (seeded / "folder.yaml").mkdir()
    assert main(["schema", "-o", "folder.yaml"]) == 2
    assert main(["new", "lab", "-o", "folder.yaml", "--force"]) == 2
    assert main(["docs", "--config-file", "folder.yaml"]) == 2
    with pytest.raises(SystemExit) as raised:
        main(["validate", "--format", "xml"])
    assert raised.value.code == 2
    capsys.readouterr()
    # 0 clean, 1 problems or differences.
    assert main(["validate"]) == 0
    assert main(["build", "-q"]) == 0
    assert main(["check"]) == 0
    apply = seeded / "output" / "icp-iks-bookinfo" / "apply.sh"
    apply.write_text(apply.read_text() + "# by hand\n")
    assert main(["check"]) == 1
    assert main(["diff"]) == 0
    assert main(["diff", "--exit-code"]) == 1


def test_an_unreadable_topology_is_an_io_error(project: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    target = project / "topologies" / "lab.yaml"
    target.write_text(VALID)
    opened = os.open

    def refused(path: object, *args: object, **kwargs: object) -> int:
        if str(path).endswith("lab.yaml"):  # what open() says to a user without permission
            raise PermissionError(13, "Permission denied", str(path))
        return opened(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", refused)
    assert main(["validate", "topologies/lab.yaml"]) == 2
    err = capsys.readouterr().err
    assert "topologies/lab.yaml:1:1: error[unreadable]: cannot read file: Permission denied" \
        in err


@pytest.mark.parametrize(("make", "kind"), [
    (os.mkfifo, "a named pipe (FIFO)"),
    (lambda path: path.symlink_to("/dev/zero"), "a character device"),
])
def test_a_topology_that_is_not_a_regular_file_is_an_io_error_at_once(
        make: Callable[[Path], None], kind: str, project: Path) -> None:
    """Nothing is opened: a named pipe would wait for a writer, a device never end."""
    make(project / "topologies" / "lab.yaml")
    for command in ("validate", "build"):
        run = run_cli(command, "topologies/lab.yaml", cwd=project)
        assert run.returncode == 2, run.output
        assert (f"topologies/lab.yaml:1:1: error[unreadable]: is {kind}, not a topology file"
                in run.stderr), run.output


def test_every_setting_is_documented() -> None:
    from generator.inputs.settings import described
    from tests.helpers import ROOT

    page = (ROOT / "docs" / "getting-started.md").read_text()
    for name, _default, _meaning in described():
        assert f"| `{name}` |" in page, name
