"""No secret ever lands in ``output/`` or the site, and the runbook handles them privately.

A topology refers to its pre-shared keys through an environment variable and through files
(relative and absolute). The build, the docs build and the runbook all run with those secrets
really present, each a unique value, and every byte they write or print is searched for them
(as written, base64 and hex). The runbook runs for real with ``kubectl``, ``helm``,
``istioctl`` and ``swanctl`` replaced by recorders on PATH: every file handed to them that
holds a secret (a PSK or a private key) must lie outside ``output/`` with mode 0600 or
stricter, no secret may appear on a command line, and each PSK must actually be delivered.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import stat
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import ROOT, child_env, install_recorders, require_program, run_cli

NAME = "secret-mesh"


@dataclass(frozen=True)
class SecretProject:
    root: Path
    env: dict[str, str]
    psks: tuple[str, ...]
    """Every pre-shared key value, however it is supplied."""

    @property
    def output(self) -> Path:
        return self.root / "output" / NAME


def forms(secret: str) -> set[bytes]:
    """The ways a secret could be written down: as is, base64 (with or without a newline
    before encoding) and hex."""
    raw = secret.encode()
    return {raw, base64.b64encode(raw), base64.b64encode(raw + b"\n"),
            base64.urlsafe_b64encode(raw), raw.hex().encode()}


def leaks(data: bytes, values: tuple[str, ...]) -> list[str]:
    return [v for v in values if any(form in data for form in forms(v))]


def files_with_secrets(folder: Path, values: tuple[str, ...]) -> dict[str, list[str]]:
    found = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            leaked = leaks(path.read_bytes(), values)
            if leaked:
                found[str(path.relative_to(folder))] = leaked
    return found


def topology(absolute_key: Path) -> str:
    return textwrap.dedent(f"""\
        apiVersion: meshgen/v1
        name: {NAME}
        clusters:
          - name: hub
            context: hub-admin
            role: primary
            podCIDR: 10.1.0.0/16
            serviceCIDR: 10.0.0.0/24
            vpnGateway: 203.0.113.10
          - name: east
            context: east-admin
            role: remote
            podCIDR: 172.30.0.0/16
            serviceCIDR: 172.21.0.0/16
            vpnGateway: 198.51.100.20
          - name: west
            context: west-admin
            role: remote
            podCIDR: 192.168.0.0/17
            serviceCIDR: 192.168.128.0/24
            vpnGateway: 192.0.2.30
        vpn:                      # a ring: each cluster listens on one link
          - between: [hub, east]
            psk: {{env: MESH_EAST_PSK}}
          - between: [west, hub]
            psk: {{file: ../../keys/west-hub.psk}}
          - between: [east, west]
            psk: {{file: {absolute_key}}}
        apps:
          - name: bookinfo
            catalog: bookinfo
            namespace: default
            ingress: hub
            placement:
              hub: [productpage-v1, details-v1]
              east: [reviews-v2, ratings-v1]
              west: [reviews-v3, ratings-v1]
        traffic:
          - name: jason
            routes:
              reviews:
                - match: {{headers: {{end-user: {{exact: jason}}}}}}
                  to: v2
                - to: v3
        """)


@pytest.fixture(scope="module")
def secret_project(tmp_path_factory: pytest.TempPathFactory) -> SecretProject:
    root = tmp_path_factory.mktemp("secrets")
    env_psk = "envpsk-" + secrets.token_urlsafe(24)
    relative_psk = "filepsk-" + secrets.token_urlsafe(24)
    absolute_psk = "abspsk-" + secrets.token_urlsafe(24)
    (root / "keys").mkdir(mode=0o700)
    relative_key = root / "keys" / "west-hub.psk"
    absolute_key = root / "private" / "east-west.psk"
    absolute_key.parent.mkdir(mode=0o700)
    for path, value in ((relative_key, relative_psk), (absolute_key, absolute_psk)):
        path.write_text(value + "\n")
        path.chmod(0o600)
    (root / "topologies").mkdir()
    (root / "topologies" / f"{NAME}.yaml").write_text(topology(absolute_key))
    env = child_env(MESH_EAST_PSK=env_psk)
    run = run_cli("build", cwd=root, env=env)
    assert run.returncode == 0, run.output
    assert not leaks(run.output.encode(), (env_psk, relative_psk, absolute_psk))
    return SecretProject(root, env, (env_psk, relative_psk, absolute_psk))


def test_no_secret_in_output(secret_project: SecretProject) -> None:
    output = secret_project.root / "output"
    written = [p for p in output.rglob("*") if p.is_file()]
    assert len(written) > 5
    assert files_with_secrets(output, secret_project.psks) == {}
    # What output/ does carry is the reference, so the runbook can read the key at apply time.
    texts = b"".join(p.read_bytes() for p in written)
    assert b"MESH_EAST_PSK" in texts
    assert b"keys/west-hub.psk" in texts


def test_no_secret_in_the_site(secret_project: SecretProject) -> None:
    site_project = secret_project.root / "with-site"
    shutil.copytree(ROOT / "docs", site_project / "docs")
    shutil.copy(ROOT / "mkdocs.yml", site_project / "mkdocs.yml")
    shutil.copytree(secret_project.root / "topologies", site_project / "topologies")
    shutil.copytree(secret_project.root / "output", site_project / "output")
    for keys in ("keys", "private"):
        shutil.copytree(secret_project.root / keys, site_project / keys)
    done = subprocess.run([sys.executable, "-m", "generator", "docs", "-d", "site"],
                          cwd=site_project, env=secret_project.env, capture_output=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr.decode()
    pages = list((site_project / "site").rglob("*.html"))
    assert any(NAME in p.read_text("utf-8", "replace") for p in pages), "no topology page"
    assert files_with_secrets(site_project / "site", secret_project.psks) == {}
    assert not leaks(done.stdout + done.stderr, secret_project.psks)


def _apply_script(project: SecretProject) -> Path:
    """``apply.sh``, run from its own folder: a relative key path then means the same whether
    it is read from the script's folder or from where the script was started."""
    script = project.output / "apply.sh"
    assert script.is_file(), "the build wrote no apply.sh"
    return script


def _tree(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p.relative_to(folder)): (p.read_bytes(), stat.S_IMODE(p.stat().st_mode))
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_dry_run_prints_no_secret(secret_project: SecretProject) -> None:
    script = _apply_script(secret_project)
    before = _tree(secret_project.output)
    done = subprocess.run([str(script), "--dry-run"], cwd=secret_project.output,
                          env=secret_project.env, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.strip(), "the dry run printed no commands"
    assert not leaks(done.stdout + done.stderr, secret_project.psks)
    assert _tree(secret_project.output) == before


def _holds_secret(text: str, psks: tuple[str, ...]) -> bool:
    return bool(leaks(text.encode("latin-1"), psks)) or "PRIVATE KEY" in text


def test_runbook_hands_secrets_over_privately(secret_project: SecretProject,
                                              tmp_path: Path) -> None:
    script = _apply_script(secret_project)
    require_program("bash", package="bash")
    require_program("openssl", package="openssl")  # the runbook makes the mesh's root CA
    manifest = json.loads((secret_project.output / "MANIFEST.json").read_text())
    assert any(entry["kind"] == "helm-values:iks-charts/strongswan"
               for entry in manifest["files"].values()), "the build wrote no strongSwan values"
    recorders = install_recorders(tmp_path / "bin")
    log = tmp_path / "recorded.jsonl"
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    home = tmp_path / "home"
    home.mkdir()
    env = {**secret_project.env, "PATH": f"{recorders}:{os.environ['PATH']}",
           "RECORDER_LOG": str(log), "TMPDIR": str(scratch), "HOME": str(home),
           "MESHGEN_CA_DIR": str(tmp_path / "ca")}
    before = _tree(secret_project.output)
    done = subprocess.run([str(script)], cwd=secret_project.output, env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, timeout=600)
    printed = done.stdout + done.stderr
    assert done.returncode == 0, printed.decode()
    assert not leaks(printed, secret_project.psks), "apply.sh printed a secret"
    assert _tree(secret_project.output) == before, "apply.sh changed output/"

    calls: list[dict[str, Any]] = [json.loads(line) for line in log.read_text().splitlines()]
    assert calls, "no tool was run"
    delivered: set[str] = set()
    output = secret_project.output.resolve()
    for call in calls:
        assert not leaks(" ".join(call["argv"]).encode(), secret_project.psks), (
            f"a secret on the command line of {call['tool']}: {call['argv']}")
        delivered.update(leaks(call["stdin"].encode("latin-1"), secret_project.psks))
        for handed in call["files"]:
            if not _holds_secret(handed["content"], secret_project.psks):
                continue
            delivered.update(leaks(handed["content"].encode("latin-1"), secret_project.psks))
            where = Path(handed["real"])
            assert not where.is_relative_to(output), f"{handed['path']} holds a secret"
            if handed["regular"]:
                assert handed["mode"] & 0o077 == 0, (
                    f"{handed['path']} holds a secret with mode {handed['mode']:o}")
    assert delivered == set(secret_project.psks), "a pre-shared key never reached the VPN"
    left = files_with_secrets(scratch, secret_project.psks)
    assert left == {}, "secret files left in TMPDIR after the run"
