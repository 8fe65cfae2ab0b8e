"""Fixtures of the real-tunnel tests: what they need on the machine, and a lab cleaned up after."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import require_program, require_root, unavailable

from .netlab import CHARON, PLUGIN_DIR, REQUIRED_PLUGINS, STARTER, Lab


@pytest.fixture(scope="session")
def strongswan() -> None:
    """Skip (fail under CI) unless root with strongSwan, its plugins and a TUN device."""
    require_root()
    require_program("ip", package="iproute2")
    require_program("unshare", "mount", package="util-linux")
    require_program("ping", package="iputils-ping")
    require_program(CHARON, package="strongswan-charon")
    require_program("swanctl", package="strongswan-swanctl")
    require_program(STARTER, package="strongswan-starter")
    for plugin, package in sorted(REQUIRED_PLUGINS.items()):
        if not (PLUGIN_DIR / f"libstrongswan-{plugin}.so").exists():
            unavailable(f"needs strongSwan's {plugin} plugin (Debian package {package})")
    if not Path("/dev/net/tun").exists() or not os.access("/dev/net/tun", os.R_OK | os.W_OK):
        unavailable("needs /dev/net/tun (kernel-libipsec runs ESP over a TUN device)")


@pytest.fixture
def lab(strongswan: None) -> Iterator[Lab]:
    created = Lab()
    try:
        yield created
    finally:
        created.close()
