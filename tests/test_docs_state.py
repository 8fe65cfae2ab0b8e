"""The site's view of a topology's committed files: taken from the build record when it says
they are what this meshgen builds from the topology as it is, else rendered and compared."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import generator.api
from generator.artifacts import RenderedTree
from generator.cli import main
from generator.docs.committed import Status, output_state
from generator.model import Topology
from tests.helpers import SEED, topology_of


@pytest.fixture
def built(project: Path) -> Path:
    shutil.copy(SEED, project / "topologies" / SEED.name)
    assert main(["build", "-q"]) == 0
    return project / "topologies" / SEED.name


def test_an_unchanged_folder_is_current_without_rendering(built: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    topology = topology_of(built)
    rendered = output_state(Path("output"), topology.name, topology)

    def fail(_topology: object) -> None:
        raise AssertionError("rendered although the record says the folder is current")

    monkeypatch.setattr(generator.api, "render", fail)
    recorded = output_state(Path("output"), topology.name, topology, built)
    assert recorded.status is Status.CURRENT
    assert recorded.files == rendered.files and recorded.differences == ()


@pytest.mark.parametrize("change", ["output", "topology"])
def test_any_change_is_rendered_and_compared(built: Path, change: str,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    topology = topology_of(built)
    renders: list[Topology] = []
    real_render = generator.api.render

    def render(t: Topology) -> RenderedTree:
        renders.append(t)
        return real_render(t)

    monkeypatch.setattr(generator.api, "render", render)
    if change == "output":
        edited = Path("output") / topology.name / "apply.sh"
        edited.write_text(edited.read_text(encoding="utf-8") + "# by hand\n", encoding="utf-8")
    else:
        built.write_text(built.read_text(encoding="utf-8") + "# a comment\n", encoding="utf-8")
    state = output_state(Path("output"), topology.name, topology, built)
    assert renders == [topology]
    if change == "output":
        assert state.status is Status.STALE
        assert [d.path for d in state.differences] == ["apply.sh"]
    else:  # the same model from other bytes: the files are still what it renders
        assert state.status is Status.CURRENT
