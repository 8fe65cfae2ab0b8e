"""The VPN files of a link end filled into its shape's frame are the files its templates render.

Every end of every topology here is rendered both ways: through the frames
(:class:`~generator.targets.vpn.frames.Frames`) and straight from the values and templates
(:func:`~generator.targets.vpn.frames.render_end`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from benchmarks.synthetic import synthetic
from generator.model import Topology
from generator.targets.vpn import frames as vpn_frames
from generator.targets.vpn.ends import link_ends
from generator.targets.vpn.frames import Frames, render_end
from tests.helpers import TOPOLOGIES, model_of, topology_of, valid_data


def same_both_ways(t: Topology) -> Frames:
    ends = list(link_ends(t))
    frames, alone = Frames(ends), Frames()  # plainness told for all ends at once, or each
    for end in ends:
        direct = render_end(end)
        assert frames.files(end) == direct, end.folder
        assert alone.files(end) == direct, end.folder
    return frames


@pytest.mark.parametrize("path", sorted(TOPOLOGIES.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_example(path: Path) -> None:  # those without a VPN: nothing to compare
    same_both_ways(topology_of(path))


def test_a_mesh_of_eight_takes_few_frames(project: Path) -> None:
    data = synthetic(8, 2, "mesh")
    t = model_of(project / "topologies", data)
    frames = same_both_ways(t)
    # 56 ends; the shapes: which end starts, where it listens, each end's role and primary
    assert 0 < len(frames._frames) <= len(list(link_ends(t))) // 3


def lab(**cluster: Any) -> dict[str, Any]:
    data = valid_data()
    data["vpn"][0].update(cluster.pop("link", {}))
    for key, value in cluster.items():
        data["clusters"][1][key] = value
    return data


def renamed(data: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    """``data`` with cluster ``old`` called ``new`` wherever the topology names it."""
    result: dict[str, Any] = json.loads(json.dumps(data).replace(f'"{old}"', f'"{new}"'))
    return result


@pytest.mark.parametrize("data", [
    pytest.param(renamed(valid_data(), "west", "yes"), id="a name YAML would read as true"),
    pytest.param(renamed(valid_data(), "west", "123"), id="a name YAML would read as a number"),
    pytest.param(renamed(valid_data(), "west", "w" * 40), id="a name whose release is hashed"),
    pytest.param(lab(vpnGateway="1:2:3:4:5:6:7:8"), id="an address YAML would quote"),
])
def test_ends_rendered_directly(project: Path, data: dict[str, Any]) -> None:
    assert not same_both_ways(model_of(project / "topologies", data))._frames


@pytest.mark.parametrize("data", [
    pytest.param(valid_data(), id="no contexts"),
    pytest.param(lab(link={"psk": {"file": "keys/lab.psk"}}), id="a relative key file"),
    pytest.param(lab(link={"psk": {"file": "~/keys/lab.psk"}}), id="a key file at home"),
    pytest.param(lab(link={"psk": {"file": "/etc/lab.psk"}}), id="an absolute key file"),
    pytest.param(lab(link={"listenAddress": "203.0.113.11"}), id="a listen address"),
    pytest.param(lab(link={"dpd": {"action": "none"}, "closeAction": "clear",
                           "lifetime": "2h"}), id="other settings"),
    pytest.param(lab(link={"dpd": {"delay": "10s"}}), id="another dead peer interval"),
    pytest.param(lab(vpnGateway="2001:db8::20"), id="an IPv6 gateway"),
    pytest.param(lab(link={"initiator": "east"}), id="the other end starts"),
])
def test_ends_filled_in(project: Path, data: dict[str, Any]) -> None:
    frames = same_both_ways(model_of(project / "topologies", data))._frames
    assert frames and None not in frames.values()


def test_a_marker_changed_on_its_way_is_no_frame() -> None:
    frame = vpn_frames._compiled("id = x7meshgenslot01x; {x7meshgenslot00x}\n")
    assert frame is not None and frame.fill(["a", "b"]) == "id = b; {a}\n"
    plain = vpn_frames._compiled("a {b}\n")
    assert plain is not None and plain.fill([]) == "a {b}\n"
    assert vpn_frames._compiled("id = X7MESHGENSLOT03X\n") is None
    assert vpn_frames._compiled("id = x7meshgenslot3x\n") is None


@pytest.mark.parametrize(("value", "plain"), [
    ("east", True), ("10.0.0.0/16,172.16.0.0/24", False), ("10.0.0.0/16", True),
    ("LAB_PSK", True), ("yes", False), ("123", False), ("a b", False), ("it's", False),
    ("1:2:3", False), ("x7meshgenslot00x", False),
])
def test_plain_tokens(value: str, plain: bool) -> None:
    assert vpn_frames.plain_token(value) is plain
    frames = Frames()  # told of no ends: each value is looked at alone
    assert frames._plain_token(value) is plain
