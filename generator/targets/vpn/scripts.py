"""Scripts of the VPN: two helpers the runbook calls, and a gateway installer per link end.

``vpn-install.sh`` installs one end's chart release and ``vpn-check.sh`` checks one end's
tunnel; the runbook's steps call them with the end's context, release and key reference, so
the key handling is written once. ``<cluster>/vpn/<peer>/install-gateway.sh`` sets up the same
end on a plain strongSwan gateway host instead, from the swanctl.conf beside it. Every script
reads the pre-shared key the same way (``strongswan-psk.sh.j2``): into a private temporary file,
never onto a command line, never printed.
"""

from __future__ import annotations

import functools
import shlex

from ...artifacts import Artifact, Kind
from ...templating import render_template
from ...text import one_line
from ..shell import KEY_FILE_LIMIT, key_file_word
from .ends import (
    CHART,
    CHART_VERSION,
    NAMESPACE,
    RELEASE_LIMIT,
    SUFFIX,
    LinkEnd,
)

INSTALL_HELPER = "vpn-install.sh"
CHECK_HELPER = "vpn-check.sh"
GATEWAY_SCRIPT = "install-gateway.sh"
SWANCTL_CONF_DIR = "/etc/swanctl/conf.d"


@functools.cache
def key_handling() -> str:
    """Shell lines every VPN script reads the pre-shared key with (``strongswan-psk.sh.j2``):
    from ``$psk_env`` or ``$psk_path`` into ``$psk_file``, or a message naming ``$psk_owner``."""
    return render_template("strongswan-psk.sh.j2", key_limit=KEY_FILE_LIMIT)


def gateway_script_path(end: LinkEnd) -> str:
    return f"{end.folder}/{GATEWAY_SCRIPT}"


def helpers() -> list[Artifact]:
    """The two helpers, the same for every topology with a VPN."""
    chart = {"chart": CHART, "version": CHART_VERSION, "namespace": NAMESPACE}
    return [
        Artifact(INSTALL_HELPER, render_template("strongswan-install.sh.j2", name=INSTALL_HELPER,
                                                 key_handling=key_handling(), **chart),
                 Kind.SCRIPT, executable=True),
        Artifact(CHECK_HELPER, render_template("strongswan-check.sh.j2", name=CHECK_HELPER,
                                               release_limit=RELEASE_LIMIT, suffix=SUFFIX,
                                               **chart), Kind.SCRIPT, executable=True),
    ]


def gateway_script(end: LinkEnd) -> str:
    psk = end.link.psk
    return render_template(
        "strongswan-gateway.sh.j2",
        end=end,
        name=GATEWAY_SCRIPT,
        key_handling=key_handling(),
        address=(end.local.vpn_gateway or "its own address") if end.initiates
        else end.listen_address,
        conf_dir=SWANCTL_CONF_DIR,
        psk_env=shlex.quote(psk.name) if psk.is_env else "''",
        psk_path="''" if psk.is_env else key_file_word(psk),
        psk_file_shown=one_line(psk.name),
    )
