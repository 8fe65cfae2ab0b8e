"""One bad topology per rule: each must be reported under its rule name at the right line.

Each case edits the valid topology of the tests (:data:`tests.helpers.VALID`); the line the
error must point at carries the comment ``# HERE``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from generator.api import CheckedTopology, check_file
from generator.errors import Severity
from tests.helpers import VALID, edited


def edit(*pairs: tuple[str, str]) -> str:
    return edited(VALID, *pairs)


UNLINKED = ("vpn:\n  - between: [west, east]\n    ike: aes256gcm16-prfsha384-ecp384\n"
            "    esp: aes256gcm16-ecp384\n    psk: {env: LAB_PSK}\n", "vpn: []\n")
GATEWAY_PATH = ("  network: flat\n", "  network: flat\n  controlPlanePath: eastwest-gateway\n")


CASES: dict[str, tuple[str, str]] = {
    "unknown-field": ("unknown-field", edit(("    role: primary\n",
                                             "    role: primary\n    podCidr: x  # HERE\n"))),
    "missing-field": ("missing-field", edit(("    podCIDR: 172.30.0.0/16\n", ""),
                                            ("  - name: west\n", "  - name: west  # HERE\n"))),
    "wrong-type": ("wrong-type", edit(("    role: remote\n",
                                       "    role: remote\n    vpnGateway: [1]  # HERE\n"),
                                      ("    vpnGateway: 198.51.100.20\n", ""))),
    "invalid-value": ("invalid-value", edit(("model: primary-remote",
                                             "model: primary-remot  # HERE"))),
    "invalid-name": ("invalid-value", edit(("  - name: west\n",
                                            "  - name: West_1  # HERE\n"),
                                           ("[west, east]", "[West_1, east]"),
                                           ("      west: [", "      West_1: ["))),
    "literal-secret": ("literal-secret", edit(("psk: {env: LAB_PSK}",
                                               "psk: correct-horse  # HERE"))),
    "duplicate-name": ("duplicate-name", edit(("  - name: west\n",
                                               "  - name: east  # HERE\n"),
                                              ("[west, east]", "[east, east]"))),
    "cidr-invalid": ("cidr-invalid", edit(("podCIDR: 172.30.0.0/16",
                                           "podCIDR: 172.300.0.0/16  # HERE"))),
    "cidr-host-bits": ("cidr-host-bits", edit(("podCIDR: 172.30.0.0/16",
                                               "podCIDR: 172.30.0.1/16  # HERE"))),
    "cidr-overlap": ("cidr-overlap", edit(("podCIDR: 172.30.0.0/16",
                                           "podCIDR: 10.1.128.0/17  # HERE"))),
    "cidr-overlap-same-cluster": ("cidr-overlap", edit(("serviceCIDR: 10.0.0.0/24",
                                                        "serviceCIDR: 10.1.0.0/24  # HERE"))),
    "gateway-in-cidr": ("gateway-in-cidr", edit(("vpnGateway: 198.51.100.20",
                                                 "vpnGateway: 172.21.0.9  # HERE"))),
    "gateway-missing": ("gateway-missing", edit(("    vpnGateway: 198.51.100.20\n", ""),
                                                ("  - between: [west, east]\n",
                                                 "  - between:\n      - west  # HERE\n"
                                                 "      - east\n"))),
    "unknown-link-end": ("unknown-reference", edit(("  - between: [west, east]\n",
                                                    "  - between:\n      - wets  # HERE\n"
                                                    "      - east\n"))),
    "duplicate-link": ("duplicate-link", edit(("    psk: {env: LAB_PSK}\n",
                                               "    psk: {env: LAB_PSK}\n"
                                               "  - between: [east, west]  # HERE\n"
                                               "    psk: {env: LAB_PSK}\n"))),
    "control-plane-path": ("control-plane-path", edit(UNLINKED,
                                                      ("  - name: west\n",
                                                       "  - name: west  # HERE\n"))),
    "control-plane-path-istio-1-0": ("control-plane-path", edit(
        ('version: "1.30.3"', 'version: "1.0"'),
        ("  network: flat\n", "  network: flat\n  controlPlanePath: eastwest-gateway  # HERE\n"))),
    "link-missing": ("link-missing", edit(UNLINKED, GATEWAY_PATH,
                                          ("reviews-v1, reviews-v2]",
                                           "reviews-v1, reviews-v2]  # HERE"))),
    "proposal-invalid": ("proposal-invalid", edit(("ike: aes256gcm16-prfsha384-ecp384",
                                                   "ike: aes256gcm16-prfsha384-ecp999  # HERE"))),
    "weak-crypto": ("weak-crypto", edit(("esp: aes256gcm16-ecp384",
                                         "esp: 3des-sha1-modp1024  # HERE"))),
    "lifetime-too-short": ("lifetime-too-short", edit(("    psk: {env: LAB_PSK}\n",
                                                       "    psk: {env: LAB_PSK}\n"
                                                       "    lifetime: 5m  # HERE\n"))),
    "ikev1-single-subnet": ("ikev1-single-subnet", edit(("    psk: {env: LAB_PSK}\n",
                                                         "    psk: {env: LAB_PSK}\n"
                                                         "    keyExchange: ikev1  # HERE\n"))),
    "primary-count": ("primary-count", edit(("    role: remote\n", "    role: primary\n"),
                                            ("clusters:\n", "clusters:  # HERE\n"))),
    "remote-primary": ("remote-primary", edit(("    role: remote\n",
                                               "    role: remote\n    primary: west  # HERE\n"))),
    "network-mismatch": ("network-mismatch", edit(
        ("    role: remote\n", "    role: remote\n    network: other  # HERE\n"))),
    "istio-version": ("istio-version", edit(('version: "1.30.3"', 'version: "1.9"  # HERE'))),
    "unknown-placement-cluster": ("unknown-reference", edit(("      west: [reviews-v3]",
                                                             "      wset: [reviews-v3]  # HERE"))),
    "unknown-workload": ("unknown-reference", edit(("      west: [reviews-v3]",
                                                    "      west: [reviews-v9]  # HERE"))),
    "ingress-cluster": ("ingress-cluster", edit(("    ingress: east",
                                                 "    ingress: west  # HERE"))),
    "callee-not-placed": ("callee-not-placed", edit(
        ("east: [productpage-v1, details-v1, ratings-v1, reviews-v1, reviews-v2]",
         "east: [productpage-v1, details-v1, reviews-v1]"),
        ("      west: [reviews-v3]", "      west: [reviews-v3]  # HERE"),
        ("ratings: v1, ", ""))),
    "unknown-stage-service": ("unknown-reference", edit(("routes: {productpage: v1,",
                                                         "routes: {prodpage: v1,  # HERE\n"
                                                         "      productpage: v1,"))),
    "unknown-stage-version": ("unknown-reference", edit(("          to: v2",
                                                         "          to: v7  # HERE"))),
    "weights-sum": ("weights-sum", edit(
        ("        - to: v3", "        - to: {v1: 50, v3: 40}  # HERE"))),
    "catch-all-not-last": ("catch-all-not-last", edit(
        ("        - match: {headers: {end-user: {exact: jason}}}\n          to: v2\n",
         "        - to: v1  # HERE\n"
         "        - match: {headers: {end-user: {exact: jason}}}\n          to: v2\n"))),
    "default-missing": ("default-missing", edit(("        - to: v3",
                                                 "        - match: {uri: {prefix: /x}}  # HERE\n"
                                                 "          to: v3"))),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_rule_is_reported_at_its_line(case: str, tmp_path: Path) -> None:
    rule, text = CASES[case]
    expected_line = next(i for i, line in enumerate(text.splitlines(), 1) if "# HERE" in line)
    path = tmp_path / "lab.yaml"
    path.write_text(text)
    result = check_file(path, "lab.yaml")
    found = [(p.rule, p.location.line if p.location else 0) for p in result.errors]
    assert (rule, expected_line) in found, result.problems
    assert not result.valid


def test_base_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "lab.yaml"
    path.write_text(VALID)
    result = check_file(path)
    assert result.valid, [p.format() for p in result.problems]
    assert result.problems == ()


def checked_lab(tmp_path: Path, *pairs: tuple[str, str]) -> CheckedTopology:
    """The valid topology with ``pairs`` replaced, checked."""
    path = tmp_path / "lab.yaml"
    path.write_text(edit(*pairs))
    return check_file(path)


def test_weak_crypto_allowed_is_a_warning(tmp_path: Path) -> None:
    result = checked_lab(tmp_path, ("esp: aes256gcm16-ecp384",
                                    "esp: aes128-sha1-modp2048\n    allowWeakCrypto: true"))
    assert result.valid
    assert [(p.rule, p.severity) for p in result.problems] == [("weak-crypto", Severity.WARNING)]


def test_five_mistakes_in_one_run(tmp_path: Path) -> None:
    text = edit(
        ("model: primary-remote", "model: primary-remote\n  mtsl: strict"),
        ("podCIDR: 172.30.0.0/16", "podCIDR: 10.1.0.0/16"),
        ("esp: aes256gcm16-ecp384", "esp: 3des-sha1-modp1024"),
        ("psk: {env: LAB_PSK}", "psk: hunter2"),
        ("        - to: v3", "        - to: {v2: 50, v3: 40}"),
    )
    path = tmp_path / "lab.yaml"
    path.write_text(text)
    rules = sorted({p.rule for p in check_file(path).errors})
    assert rules == ["cidr-overlap", "literal-secret", "unknown-field", "weak-crypto",
                     "weights-sum"]


def test_checks_stand_aside_when_a_section_is_incomplete(tmp_path: Path) -> None:
    # The second cluster fails the schema; counting primaries without it would mislead.
    path = tmp_path / "lab.yaml"
    path.write_text(edit(("    role: remote\n", "    role: observer\n")))
    rules = {p.rule for p in check_file(path).errors}
    assert rules == {"invalid-value"}


def test_a_broken_cluster_takes_out_its_own_checks_only(tmp_path: Path) -> None:
    """west cannot be built (its podCIDR is a number), yet it is still the cluster the link,
    the placement and the count of primaries mean: a second primary is reported, and nothing
    is said to refer to a cluster that does not exist."""
    path = tmp_path / "lab.yaml"
    path.write_text(edit(("    role: remote\n    podCIDR: 172.30.0.0/16\n",
                          "    role: primary\n    podCIDR: 17230  # HERE\n")))
    found = sorted((p.rule, p.path) for p in check_file(path).errors)
    assert found == [("primary-count", ("clusters",)),
                     ("wrong-type", ("clusters", 1, "podCIDR"))]


def test_a_count_of_primaries_no_unknown_role_can_change_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "lab.yaml"
    third = ("  - name: north\n    role: primary\n    podCIDR: 10.9.0.0/16\n"
             "    serviceCIDR: 10.8.0.0/24\n")
    path.write_text(edit(("    role: remote\n", "    role: observer\n"),
                         ("vpn:\n", third + "vpn:\n")))
    assert sorted(p.rule for p in check_file(path).errors) == ["invalid-value",
                                                               "primary-count"]


@pytest.mark.parametrize(
    ("proposal", "kind", "ok"),
    [
        ("aes256gcm16-prfsha384-ecp384", "ike", True),
        ("aes128-sha256-modp3072,aes256-sha384-ecp384!", "ike", True),
        ("chacha20poly1305-prfsha256-x25519", "ike", True),
        ("aes256gcm16-ecp384", "esp", True),
        ("aes256-sha256", "esp", True),
        ("aes256-sha256", "ike", False),
        ("aes256--sha256", "esp", False),
        ("sha256-modp2048", "esp", False),
        ("rot13-sha1", "esp", False),
        ("aes256gcm16\n-prfsha384-ecp384", "ike", False),
        ("aes256-sha256\n-modp2048", "esp", False),
    ],
)
def test_proposal_syntax(proposal: str, kind: str, ok: bool) -> None:
    from generator.checks import proposal_problems

    errors, _ = proposal_problems(proposal, kind)
    assert (not errors) is ok, errors


def test_a_remote_through_the_vpn_needs_a_link_to_its_primary(tmp_path: Path) -> None:
    (problem,) = checked_lab(tmp_path, UNLINKED).errors
    assert problem.rule == "control-plane-path"
    assert "'west'" in problem.message and "'east'" in problem.message
    # The hint names both fixes: a link, or the public east-west gateway.
    assert "between: [west, east]" in problem.hint
    assert "controlPlanePath: eastwest-gateway" in problem.hint


def test_a_remote_through_the_gateway_needs_no_link_for_the_control_plane(
        tmp_path: Path) -> None:
    result = checked_lab(tmp_path, UNLINKED, GATEWAY_PATH,
                         ("reviews-v1, reviews-v2]", "reviews-v1, reviews-v2, reviews-v3]"),
                         ("      west: [reviews-v3]", "      west: []"))
    assert result.valid, [p.format() for p in result.problems]


def test_an_unused_eastwest_address_is_a_warning(tmp_path: Path) -> None:
    result = checked_lab(tmp_path, ("    vpnGateway: 203.0.113.10\n",
                                    "    vpnGateway: 203.0.113.10\n"
                                    "    eastWestGatewayIP: 203.0.113.50\n"))
    assert result.valid
    assert [(p.rule, p.severity) for p in result.problems] == [
        ("control-plane-path", Severity.WARNING)]
    assert "controlPlanePath: eastwest-gateway" in result.problems[0].hint


# --- addresses, regexes, key files ---------------------------------------------------------


@pytest.mark.parametrize(("address", "why"), [
    ("0.0.0.0", "unspecified"), ("::", "unspecified"), ("127.0.0.2", "loopback"),
    ("::1", "loopback"), ("224.0.0.5", "multicast"), ("169.254.10.1", "link-local"),
    ("fe80::1", "link-local"), ("255.255.255.255", "broadcast"),
    ("::ffff:198.51.100.20", "IPv4-mapped"), ("2001:DB8::20", "written another way"),
    ("2001:db8:0:0:0:0:0:20", "written another way"),
])
@pytest.mark.parametrize("field", ["vpnGateway", "eastWestGatewayIP", "listenAddress"])
def test_addresses_no_peer_can_use_are_refused(address: str, why: str, field: str,
                                               tmp_path: Path) -> None:
    if field == "listenAddress":
        text = edit(("    psk: {env: LAB_PSK}\n",
                     f"    psk: {{env: LAB_PSK}}\n    listenAddress: '{address}'  # HERE\n"))
    elif field == "vpnGateway":
        text = edit(("    vpnGateway: 198.51.100.20\n", f"    vpnGateway: '{address}'  # HERE\n"))
    else:
        text = edit(("    vpnGateway: 198.51.100.20\n",
                     f"    vpnGateway: 198.51.100.20\n    {field}: '{address}'  # HERE\n"))
    path = tmp_path / "lab.yaml"
    path.write_text(text)
    (problem,) = check_file(path).errors
    assert problem.rule == "gateway-address" and why in problem.message
    assert problem.location is not None
    assert "# HERE" in text.splitlines()[problem.location.line - 1]


@pytest.mark.parametrize("address", ["2001:db8::20", "203.0.113.99", "10.200.0.1"])
def test_usable_addresses_pass(address: str, tmp_path: Path) -> None:
    path = tmp_path / "lab.yaml"
    path.write_text(edit(("    vpnGateway: 198.51.100.20\n",
                          f"    vpnGateway: 198.51.100.20\n    eastWestGatewayIP: '{address}'\n")))
    assert check_file(path).valid


@pytest.mark.parametrize(("regex", "ok"), [
    ("^/api/v[0-9]+/", True), ("(?i)^jason$", True), ("[[:alpha:]]+", True),
    ("\\p{Greek}+", True), ("^(?!guest)", False), ("(?<=a)b", False), ("(a)\\1", False),
    ("a{1001}", False), ("(", False),
])
def test_regexes_are_compiled_as_envoy_compiles_them(regex: str, ok: bool,
                                                     tmp_path: Path) -> None:
    path = tmp_path / "lab.yaml"
    quoted = regex.replace("'", "''")
    path.write_text(edit(("{exact: jason}", f"{{regex: '{quoted}'}}")))
    rules = [p.rule for p in check_file(path).errors]
    assert rules == ([] if ok else ["regex-invalid"])


def key_file_errors(tmp_path: Path, key: str) -> list[str]:
    path = tmp_path / "topologies" / "lab.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(edit(("psk: {env: LAB_PSK}", f"psk: {{file: '{key}'}}")))
    return [p.message for p in check_file(path).errors]


def test_key_files_are_looked_for_from_the_project_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "lab.psk").write_text("secret\n")
    assert key_file_errors(tmp_path, "keys/lab.psk") == []
    assert key_file_errors(tmp_path, "keys/not-there-yet.psk") == []  # apply.sh checks it
    assert key_file_errors(tmp_path, "keys") == ["key file keys is a directory, not a regular file"]
    os.mkfifo(tmp_path / "keys" / "pipe")
    assert key_file_errors(tmp_path, "keys/pipe") == [
        "key file keys/pipe is a named pipe (FIFO), not a regular file"]
    assert key_file_errors(tmp_path, "/dev/null") == [
        "key file /dev/null is a character device, not a regular file"]


@pytest.mark.parametrize("key", ["output/lab.psk", "./output/../output/keys/lab.psk",
                                 "keys/into-output/lab.psk", "output"])
def test_key_files_inside_output_are_refused(key: str, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "output").mkdir()
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "into-output").symlink_to(tmp_path / "output")
    (message,) = key_file_errors(tmp_path, key)
    assert message.startswith(f"key file {key} is inside output/")


def test_a_key_file_under_home_is_looked_for_there(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    os.mkfifo(tmp_path / "home" / "lab.psk")
    assert key_file_errors(tmp_path, "~/lab.psk") == [
        "key file ~/lab.psk is a named pipe (FIFO), not a regular file"]


def test_key_files_inside_the_projects_own_output_folder_are_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The output folder is the one the project's settings name, found from any subfolder."""
    (tmp_path / "meshgen.toml").write_text('output = "generated"\n')
    (tmp_path / "generated").mkdir()
    (tmp_path / "topologies").mkdir()
    monkeypatch.chdir(tmp_path / "topologies")
    (message,) = key_file_errors(tmp_path, "generated/lab.psk")
    assert message.startswith("key file generated/lab.psk is inside generated/")
    assert key_file_errors(tmp_path, "output/lab.psk") == []
