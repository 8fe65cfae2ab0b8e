"""Network namespaces joined by veth pairs, each running its own strongSwan daemon.

Every namespace stands for one cluster's VPN gateway: the gateway address sits on the veth
towards each peer, and one address inside each of the cluster's ranges sits on ``lo`` as a
host route, so a ping from it is a pod (or service) address crossing the tunnel. Each daemon
gets a private ``/run`` (``unshare -m`` + tmpfs: its pid file path is compiled in) and its own
strongswan.conf that moves the vici and stroke sockets into a per-namespace folder. The
kernel here has no ESP, so ESP runs in userspace through ``kernel-libipsec``.

Everything a :class:`Lab` creates is removed by :meth:`Lab.close`, which the fixtures call
even when a test fails.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

CHARON = "/usr/lib/ipsec/charon"
STARTER = "/usr/lib/ipsec/starter"
PLUGIN_DIR = Path("/usr/lib/ipsec/plugins")
# Plugins a daemon loads: the crypto of the strong suites (openssl, gcm), userspace ESP
# (kernel-libipsec) with routes through kernel-netlink, both configuration interfaces.
PLUGINS = (
    "random nonce openssl aes sha1 sha2 hmac gcm gmp kdf pem pkcs1 x509 pubkey "
    "kernel-libipsec kernel-netlink socket-default vici stroke"
)
REQUIRED_PLUGINS = {
    "kernel-libipsec": "libcharon-extra-plugins",
    "openssl": "libstrongswan-standard-plugins",
    "gcm": "libstrongswan-standard-plugins",
}
COMMAND_TIMEOUT = 15.0
T = TypeVar("T")


class LabError(RuntimeError):
    pass


def run(args: Sequence[str], timeout: float = COMMAND_TIMEOUT,
        check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout,
                          check=False)
    if check and done.returncode != 0:
        raise LabError(f"{' '.join(args)} exited {done.returncode}: {done.stderr.strip()}")
    return done


def wait_for(what: str, probe: Callable[[], T | None], timeout: float,
             interval: float = 0.1) -> T:
    """Poll ``probe`` until it returns something other than None or False."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result is not None and result is not False:
            return result
        if time.monotonic() >= deadline:
            raise LabError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def host_in(cidr: str) -> str:
    """An address inside ``cidr`` to stand for a pod or service there."""
    network = ipaddress.ip_network(cidr)
    return str(network[1] if network.num_addresses > 2 else network[0])


def _host_prefix(address: str) -> str:
    return f"{address}/{ipaddress.ip_address(address).max_prefixlen}"


# --- swanctl --list-sas --raw ---------------------------------------------------------------

_TOKEN = re.compile(r"\s*(?:(\{)|(\})|([^\s{}=]+)=(\[[^\]]*\]|[^\s{}]*)|([^\s{}=]+))")


def _parse_section(text: str, pos: int) -> tuple[dict[str, Any], int]:
    section: dict[str, Any] = {}
    pending: str | None = None
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            break
        pos = match.end()
        opening, closing, key, value, name = match.groups()
        if opening:
            child, pos = _parse_section(text, pos)
            section[pending or ""] = child
            pending = None
        elif closing:
            return section, pos
        elif key is not None:
            section[key] = value.strip("[]").split() if value.startswith("[") else value
        else:
            pending = name
    return section, pos


def parse_list_sas(output: str) -> dict[str, dict[str, Any]]:
    """IKE SAs by connection name from ``swanctl --list-sas --raw``."""
    sas: dict[str, dict[str, Any]] = {}
    for line in output.splitlines():
        if not line.startswith("list-sa event"):
            continue
        parsed, _ = _parse_section(line[len("list-sa event"):], 0)
        for ike in parsed.values():
            sas.update(ike)
    return sas


@dataclass(frozen=True)
class ChildSa:
    connection: str
    name: str
    state: str
    bytes_in: int
    bytes_out: int
    local_ts: tuple[str, ...]
    remote_ts: tuple[str, ...]


def child_sas(sas: dict[str, dict[str, Any]]) -> list[ChildSa]:
    found = []
    for connection, ike in sas.items():
        for child in (ike.get("child-sas") or {}).values():
            found.append(ChildSa(connection, child.get("name", ""), child.get("state", ""),
                                 int(child.get("bytes-in", 0)), int(child.get("bytes-out", 0)),
                                 tuple(child.get("local-ts", ())),
                                 tuple(child.get("remote-ts", ()))))
    return found


# --- namespaces and daemons -----------------------------------------------------------------


@dataclass
class Site:
    """One namespace: a cluster's VPN gateway with addresses in the cluster's ranges."""

    label: str
    netns: str
    folder: Path
    process: subprocess.Popen[bytes] | None = None
    addresses: list[str] = field(default_factory=list)

    @property
    def vici(self) -> str:
        return f"unix://{self.folder}/charon.vici"

    @property
    def log(self) -> Path:
        return self.folder / "charon.log"

    def log_text(self) -> str:
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def exec(self, *args: str, timeout: float = COMMAND_TIMEOUT,
             check: bool = True) -> subprocess.CompletedProcess[str]:
        return run(["ip", "netns", "exec", self.netns, *args], timeout=timeout, check=check)

    def swanctl(self, *args: str, timeout: float = COMMAND_TIMEOUT) -> str:
        return run(["swanctl", *args, "--uri", self.vici], timeout=timeout).stdout

    def sas(self) -> dict[str, dict[str, Any]]:
        return parse_list_sas(self.swanctl("--list-sas", "--raw"))

    def installed(self) -> list[ChildSa]:
        return [c for c in child_sas(self.sas()) if c.state == "INSTALLED"]

    def ping(self, source: str, target: str) -> bool:
        done = self.exec("ping", "-n", "-q", "-c", "2", "-i", "0.2", "-W", "2", "-I", source,
                         target, check=False)
        return done.returncode == 0


class Lab:
    """Namespaces, veth pairs and daemons of one test; :meth:`close` removes them all."""

    def __init__(self) -> None:
        self.token = secrets.token_hex(3)
        self.folder = Path(tempfile.mkdtemp(prefix=f"mg-{self.token}-"))
        self.sites: list[Site] = []
        self._veths: list[str] = []

    def site(self, label: str) -> Site:
        netns = f"mg-{self.token}-{len(self.sites)}"
        folder = self.folder / f"{len(self.sites)}-{label}"
        folder.mkdir()
        run(["ip", "netns", "add", netns])
        site = Site(label, netns, folder)
        self.sites.append(site)
        site.exec("ip", "link", "set", "lo", "up")
        return site

    def connect(self, a: Site, a_address: str, b: Site, b_address: str) -> None:
        """A veth pair between two sites, each end holding that site's gateway address."""
        left = f"mg{self.token}{len(self._veths)}a"
        right = left[:-1] + "b"
        self._veths.append(left)
        run(["ip", "link", "add", left, "type", "veth", "peer", "name", right])
        for site, device, address, peer in ((a, left, a_address, b_address),
                                            (b, right, b_address, a_address)):
            run(["ip", "link", "set", device, "netns", site.netns])
            site.exec("ip", "address", "add", _host_prefix(address), "peer",
                      _host_prefix(peer), "dev", device)
            site.exec("ip", "link", "set", device, "up")

    def add_address(self, site: Site, address: str) -> None:
        site.exec("ip", "address", "add", _host_prefix(address), "dev", "lo")
        site.addresses.append(address)

    def _strongswan_conf(self, site: Site) -> Path:
        path = site.folder / "strongswan.conf"
        path.write_text(
            "charon {\n"
            f"    load = {PLUGINS}\n"
            "    filelog {\n"
            "        main {\n"
            f"            path = {site.log}\n"
            "            time_format = %T\n"
            "            flush_line = yes\n"
            "            default = 1\n"
            "            ike = 2\n"
            "            cfg = 0\n"
            "        }\n"
            "    }\n"
            "    plugins {\n"
            f"        vici {{\n            socket = {site.vici}\n        }}\n"
            "        stroke {\n"
            f"            socket = unix://{site.folder}/charon.ctl\n"
            f"            secrets_file = {site.folder}/ipsec.secrets\n"
            "        }\n"
            "    }\n"
            "}\n"
            "starter {\n    load_warning = no\n}\n",
            encoding="utf-8",
        )
        return path

    def _start(self, site: Site, *command: str) -> None:
        conf = self._strongswan_conf(site)
        environment = {**os.environ, "STRONGSWAN_CONF": str(conf)}
        output = (site.folder / "daemon.out").open("wb")
        with output:
            site.process = subprocess.Popen(
                ["ip", "netns", "exec", site.netns, "unshare", "--mount", "sh", "-c",
                 'mount -t tmpfs tmpfs /run && exec "$@"', "sh", *command],
                stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                env=environment, start_new_session=True,
            )
        socket = site.folder / "charon.vici"
        wait_for(f"the strongSwan daemon of {site.label}", lambda: self._answers(site, socket),
                 timeout=10)

    @staticmethod
    def _answers(site: Site, socket: Path) -> bool:
        if site.process is not None and site.process.poll() is not None:
            output = (site.folder / "daemon.out").read_text(errors="replace")
            raise LabError(f"the daemon of {site.label} exited: {output}{site.log_text()}")
        if not socket.exists():
            return False
        return run(["swanctl", "--stats", "--uri", site.vici], check=False).returncode == 0

    def start_charon(self, site: Site) -> None:
        """charon alone, configured through vici by swanctl."""
        self._start(site, CHARON)

    def start_starter(self, site: Site, ipsec_conf: Path, secret: str) -> None:
        """starter reading an ipsec.conf, as the chart's VPN pod runs it."""
        (site.folder / "ipsec.secrets").write_text(f': PSK "{secret}"\n', encoding="utf-8")
        (site.folder / "ipsec.secrets").chmod(0o600)
        self._start(site, STARTER, "--nofork", "--conf", str(ipsec_conf))

    def close(self) -> None:
        for site in self.sites:
            if site.process is not None and site.process.poll() is None:
                _stop(site.process)
        for site in self.sites:
            run(["ip", "netns", "delete", site.netns], check=False)
        for veth in self._veths:  # left behind only if moving it into a namespace failed
            if Path(f"/sys/class/net/{veth}").exists():
                run(["ip", "link", "delete", veth], check=False)
        shutil.rmtree(self.folder, ignore_errors=True)


def _stop(process: subprocess.Popen[bytes]) -> None:
    for sig, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue
