"""Properties over random topologies and random breakage of them (Hypothesis).

Valid topologies drawn by :mod:`tests.strategies` always validate, render, pass ``meshgen
verify`` and render byte-identically twice. Broken ones (mutants) never make the checker or
the command line fail with anything but located problems.

Example counts and the long run (``MESHGEN_LONG_FUZZ=1``) are set by
:func:`tests.strategies.fuzz_settings`.
"""

from __future__ import annotations

import contextlib
import io
import random
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from generator.api import check_file, render
from generator.cli import main
from generator.output.writer import write_tree
from generator.verify.run import verify_output
from tests.helpers import TOPOLOGIES, run_cli
from tests.strategies import Data, fuzz_settings, mutants, mutate, to_yaml, topologies


def committed_texts() -> list[str]:
    return [p.read_text("utf-8") for p in sorted(TOPOLOGIES.glob("*.yaml"))]


def _checked(text: str | bytes, folder: Path, name: str = "t.yaml") -> Any:
    path = folder / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return check_file(path, name)


@fuzz_settings(15)
@given(topologies())
def test_random_valid_topologies_validate_and_render_identically(data: Data) -> None:
    text = to_yaml(data)
    with tempfile.TemporaryDirectory() as scratch:
        first = _checked(text, Path(scratch))
        assert first.errors == (), "\n".join(p.format() for p in first.problems) + "\n" + text
        assert first.topology is not None
        tree = render(first.topology)
        again = render(_checked(text, Path(scratch)).topology)
    assert tree.name == data["name"]
    assert tree.files == again.files
    assert tree.executable == again.executable
    for cluster in data["clusters"]:
        assert f"{cluster['name']}/kustomization.yaml" in tree.files


@fuzz_settings(6)
@given(topologies(max_clusters=6))
def test_random_valid_topologies_pass_verify(reference_dir: Path, data: Data) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        checked = _checked(to_yaml(data), Path(scratch))
        assert checked.topology is not None and not checked.errors
        output = Path(scratch) / "output"
        write_tree(output, render(checked.topology))
        # The release folder holds the CRDs and the charts' schema and defaults, so every
        # object and values file is checked; nothing is taken from the environment.
        report = verify_output(output, [data["name"]], crds=reference_dir / "istio-1.30.3",
                               strongswan_values=reference_dir / "iks-strongswan-2.10.7",
                               environ={})
    assert report.ok, "\n".join(report.lines())
    assert [reason for _, reason in report.skipped
            if reason != "not Kubernetes objects"] == []


def _seed_texts() -> st.SearchStrategy[str]:
    return st.sampled_from(committed_texts()) | topologies(max_clusters=4).map(to_yaml)


@fuzz_settings(60)
@given(mutants(_seed_texts()))
def test_mutants_give_located_problems_never_an_exception(raw: bytes) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        result = _checked(raw, Path(scratch))
        assert all(p.location is not None for p in result.problems), result.problems
        if result.valid:
            assert result.topology is not None
            render(result.topology)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = main(["validate", str(Path(scratch) / "t.yaml")])
    printed = out.getvalue() + err.getvalue()
    assert status in (0, 1), printed
    assert "internal error" not in printed and "Traceback" not in printed, printed
    assert (status == 0) == result.valid


def test_command_line_on_a_batch_of_mutants_prints_no_traceback(tmp_path: Path) -> None:
    """The real ``python -m generator`` on many broken files at once (one child each way)."""
    rng = random.Random(20260101)
    texts = committed_texts()
    folder = tmp_path / "topologies"
    folder.mkdir()
    for k in range(80):
        raw = mutate(rng.choice(texts), rng, rng.randint(1, 4))
        (folder / f"m{k:03}.yaml").write_bytes(raw)
    names = sorted(f"topologies/{p.name}" for p in folder.iterdir())
    for command in (["validate", *names], ["build", "-o", "out", *names]):
        run = run_cli(*command, cwd=tmp_path)
        assert run.returncode == 1, run.output
        assert "Traceback" not in run.output and "internal error" not in run.output, run.output
        problem_lines = [line for line in run.output.splitlines() if "error[" in line]
        assert problem_lines
        assert all(line.startswith("topologies/m") for line in problem_lines), problem_lines
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
