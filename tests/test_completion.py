"""meshgen completion SHELL: argcomplete's scripts for bash, zsh and fish, and the answers the
command gives them, topology names where a topology is expected."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import VALID, child_env, edited, require_program, run_cli, write_tree


@pytest.fixture
def lab(tmp_path: Path) -> Path:
    write_tree(tmp_path, {"topologies": {"lab.yaml": VALID,
                                         "edge.yaml": edited(VALID, ("name: lab", "name: edge"))},
                          "notes": {}})
    return tmp_path


def _bin(tmp_path: Path) -> Path:
    """A folder with a ``meshgen`` that runs this checkout's meshgen (for the shells' PATH)."""
    folder = tmp_path / "bin"
    folder.mkdir(exist_ok=True)
    launcher = folder / "meshgen"
    launcher.write_text(f"#!/bin/sh\nexec {shlex.quote(sys.executable)} -m generator \"$@\"\n")
    launcher.chmod(0o755)
    return folder


def test_bash_completes_commands_and_topology_names(lab: Path, tmp_path_factory:
                                                    pytest.TempPathFactory) -> None:
    require_program("bash", package="bash")
    script = run_cli("completion", "bash", cwd=lab)
    assert script.returncode == 0 and "complete " in script.stdout
    (lab / "completion.bash").write_text(script.stdout)
    env = child_env(PATH=f"{_bin(tmp_path_factory.mktemp('bin'))}:{os.environ['PATH']}",
                    PYTHONPATH=str(Path(__file__).resolve().parents[1]))

    def complete(line: str) -> list[str]:
        words = shlex.split(line) + ([""] if line.endswith(" ") else [])
        program = (
            "source completion.bash\n"
            f"COMP_WORDS=({' '.join(shlex.quote(w) for w in words)})\n"
            f"COMP_CWORD={len(words) - 1}\nCOMP_LINE={shlex.quote(line)}\n"
            f"COMP_POINT={len(line)}\n"
            "fn=$(complete -p meshgen | sed -E 's/.*-F ([^ ]+).*/\\1/')\n"
            f"$fn meshgen {shlex.quote(words[-1])} {shlex.quote(words[-2])}\n"
            'printf "%s\\n" "${COMPREPLY[@]}"\n')
        done = subprocess.run(["bash", "-c", program], cwd=lab, env=env, capture_output=True,
                              text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        return [w.strip() for w in done.stdout.splitlines() if w.strip()]

    assert {"validate", "verify"} <= set(complete("meshgen v"))
    assert complete("meshgen ver") == ["verify"]
    offered = complete("meshgen validate ")
    assert {"lab", "edge", "topologies/", "notes/"} <= set(offered)
    assert not any(word.startswith("-") for word in offered)
    assert complete("meshgen build e") == ["edge"]
    assert set(complete("meshgen check topologies/")) == {"topologies/edge.yaml",
                                                          "topologies/lab.yaml"}
    assert set(complete("meshgen verify --fo")) == {"--format"}
    assert set(complete("meshgen completion ")) == {"bash", "zsh", "fish"}


@pytest.mark.parametrize(("shell", "check"), [("zsh", ["zsh", "-n"]),
                                              ("fish", ["fish", "--no-execute"])])
def test_zsh_and_fish_scripts_are_valid(lab: Path, shell: str, check: list[str]) -> None:
    require_program(shell, package=shell)
    script = run_cli("completion", shell, cwd=lab)
    assert script.returncode == 0 and "meshgen" in script.stdout
    path = lab / f"completion.{shell}"
    path.write_text(script.stdout)
    done = subprocess.run([*check, str(path)], capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr
