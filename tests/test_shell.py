"""The runbook's kubectl and istioctl lines: one builder, one spelling of the context."""

from __future__ import annotations

import dataclasses
import shlex
from pathlib import Path

import pytest

from generator.api import render
from generator.model import Cluster
from generator.targets import runbook_steps
from generator.targets.shell import Shell, command, istioctl, kubectl, pipe
from tests.helpers import ROOT, SEED, TOPOLOGIES, topology_of

EXAMPLES = sorted(TOPOLOGIES.glob("*.yaml"))
HOSTILE = "ctx; touch pwned $(id) `id` 'q' \"d\""


def cluster(context: str) -> Cluster:
    return dataclasses.replace(topology_of(SEED).clusters[0], context=context)


def test_words_are_quoted_as_shlex_join_quotes_them() -> None:
    words = ["kubectl", "-n", "a b", "it's", "$HOME", "--from-file=x y", ""]
    assert command(*words) == shlex.join(words)
    assert shlex.split(command(*words)) == words


def test_shell_words_stay_shell() -> None:
    line = command("kubectl", "apply", "-f", Shell('"$STATE_DIR"/x.yaml'), "$NOT_EXPANDED")
    assert line == "kubectl apply -f \"$STATE_DIR\"/x.yaml '$NOT_EXPANDED'"


@pytest.mark.parametrize("context", ["icp-admin", "iks&admin", HOSTILE, "--context=x", ""])
def test_the_context_is_one_word_after_its_flag(context: str) -> None:
    target = cluster(context)
    kube = shlex.split(kubectl(target, "apply", "-f", "-"))
    assert kube == ["kubectl", "--context", context, "apply", "-f", "-"]
    istio = shlex.split(istioctl(target, "install", "-y", "-f", "x.yaml"))
    assert istio == ["istioctl", "install", "--context", context, "-y", "-f", "x.yaml"]


def test_pipe_joins_whole_commands() -> None:
    a, b = cluster("a b"), cluster("c")
    line = pipe(istioctl(a, "create-remote-secret", "--name=a"), kubectl(b, "apply", "-f", "-"))
    assert shlex.split(line) == ["istioctl", "create-remote-secret", "--context", "a b",
                                 "--name=a", "|", "kubectl", "--context", "c", "apply", "-f", "-"]


def _tool_words(line: str) -> list[list[str]]:
    """The words of each kubectl or istioctl command of one shell line."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars="|&;()<>")
    lexer.whitespace_split = True
    commands: list[list[str]] = [[]]
    for word in lexer:
        if word in {"|", "||", "&&", ";", "(", ")", "$("}:
            commands.append([])
        else:
            commands[-1].append(word)
    return [c for c in commands if c and c[0] in ("kubectl", "istioctl")]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_runbook_command_names_its_context_one_way(path: Path) -> None:
    t = topology_of(path)
    contexts = {c.context for c in t.clusters}
    seen = 0
    for step in runbook_steps(t):
        for line in step.commands:
            for words in _tool_words(line):
                seen += 1
                at = 1 if words[0] == "kubectl" else 2
                assert words[at:at + 1] == ["--context"], line
                assert words[at + 1] in contexts, line
                assert not any(w.startswith("--context=") for w in words), line
    assert seen > 0


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_no_apply_sh_spells_context_with_an_equals_sign(path: Path) -> None:
    t = topology_of(path)
    rendered = render(t).files["apply.sh"].decode()
    committed = (ROOT / "output" / t.name / "apply.sh").read_text(encoding="utf-8")
    for text in (rendered, committed):
        assert "kubectl --context " in text
        assert "--context=" not in text
