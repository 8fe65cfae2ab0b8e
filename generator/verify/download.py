"""Files from elsewhere, fetched once into the user's cache folder and checked by sha256.

The cache is ``platformdirs``' user cache folder for meshgen (``~/.cache/meshgen`` on Linux;
``$MESHGEN_CACHE_DIR`` moves it), one folder per release, each with a ``SHA256SUMS`` file in
``sha256sum`` format recording what was downloaded. A cached file is used only while its bytes
still have the recorded hash; one that changed is fetched again (or refused when offline). A
download is refused when the server does not answer within the timeout, answers with an error,
sends fewer bytes than it announced, sends more than :data:`MAX_BYTES`, or sends bytes whose
hash is not the one meshgen knows for that file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..errors import SourceUnavailable

CACHE_ENV = "MESHGEN_CACHE_DIR"
OFFLINE_ENV = "MESHGEN_OFFLINE"
"""Set (not empty), nothing is downloaded, as with ``meshgen verify --offline``."""
SUMS = "SHA256SUMS"
MAX_BYTES = 64 * 1024 * 1024
"""More than any CRD or values file (Istio's CRDs are under 1 MiB); a server sending more is
refused rather than filling the disk."""
_CHUNK = 1 << 16

Notify = Callable[[str], None]


def cache_root(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    if env.get(CACHE_ENV):
        return Path(env[CACHE_ENV])
    import platformdirs

    return Path(platformdirs.user_cache_dir("meshgen", appauthor=False)) / "schemas"


@dataclass(frozen=True)
class Wanted:
    """One file to have: where it goes in the cache (``group/name``), where it comes from,
    and its sha256 when meshgen knows it (then nothing else is accepted)."""

    group: str
    name: str
    url: str
    sha256: str = ""


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _recorded(folder: Path) -> dict[str, str]:
    try:
        text = (folder / SUMS).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    sums: dict[str, str] = {}
    for line in text.splitlines():
        digest, _, name = line.partition("  ")
        if len(digest) == 64 and name:
            sums[name] = digest
    return sums


def _record(folder: Path, name: str, digest: str) -> None:
    sums = _recorded(folder)
    sums[name] = digest
    _write_atomically(folder / SUMS, "".join(
        f"{d}  {n}\n" for n, d in sorted(sums.items())).encode())


def _write_atomically(target: Path, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class Cache:
    """The cache folder, and the way to fill it."""

    def __init__(self, root: Path, offline: bool = False, timeout: float = 30.0,
                 notify: Notify | None = None) -> None:
        self.root = root
        self.offline = offline
        self.timeout = timeout
        self.notify = notify or (lambda _line: None)

    def get(self, wanted: Wanted, instead: str) -> Path:
        """The cached file, fetched first when it is not cached (or no longer intact).
        ``instead`` says what to pass to do without it, for messages."""
        folder = self.root / wanted.group
        path = folder / wanted.name
        shown = f"{wanted.group}/{wanted.name}"
        recorded = _recorded(folder).get(wanted.name)
        if path.is_file() and recorded:
            actual = _digest(path)
            if actual == recorded and (not wanted.sha256 or actual == wanted.sha256):
                return path
            if self.offline:
                raise SourceUnavailable(
                    f"the cached {shown} ({path}) no longer has the sha256 recorded when it "
                    f"was downloaded; run with downloads on (without --offline) to fetch it "
                    f"again, or {instead}")
            self.notify(f"cached {shown} changed since it was downloaded; fetching it again")
        elif self.offline:
            raise SourceUnavailable(
                f"{shown} is not in the cache ({self.root}) and downloads are off (--offline, "
                f"the offline setting or ${OFFLINE_ENV}); run meshgen verify once with "
                f"downloads on, or {instead}")
        data = self._download(wanted, shown, instead)
        digest = hashlib.sha256(data).hexdigest()
        if wanted.sha256 and digest != wanted.sha256:
            raise SourceUnavailable(
                f"{wanted.url} sent {len(data)} bytes whose sha256 is {digest}, not the "
                f"{wanted.sha256} of {shown} (truncated or altered); nothing was cached. "
                f"Try again later, or {instead}")
        try:
            folder.mkdir(parents=True, exist_ok=True)
            _write_atomically(path, data)
            _record(folder, wanted.name, digest)
        except OSError as exc:
            raise SourceUnavailable(f"cannot write the cache folder {folder}: "
                                    f"{exc.strerror or exc}") from None
        self.notify(f"downloaded {shown} ({len(data):,} bytes, sha256 {digest[:12]}...) "
                    f"into {folder}")
        return path

    def _download(self, wanted: Wanted, shown: str, instead: str) -> bytes:
        import http.client
        import urllib.error
        import urllib.request

        def failed(why: str) -> SourceUnavailable:
            return SourceUnavailable(f"cannot download {shown} from {wanted.url}: {why}; "
                                     f"check the address (or the [verify] settings), or "
                                     f"{instead}")

        self.notify(f"downloading {wanted.url}")
        request = urllib.request.Request(wanted.url, headers={"User-Agent": "meshgen"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                announced = response.headers.get("Content-Length")
                if announced is not None and announced.isdigit() and \
                        int(announced) > MAX_BYTES:
                    raise failed(f"the server announces {int(announced):,} bytes, more than "
                                 f"{MAX_BYTES:,}")
                data: bytes = response.read(MAX_BYTES + 1)
                if announced is not None and announced.isdigit() and \
                        len(data) < int(announced):
                    raise http.client.IncompleteRead(data, int(announced) - len(data))
        except urllib.error.HTTPError as exc:
            raise failed(f"the server answered {exc.code} {exc.reason}") from None
        except http.client.IncompleteRead as exc:
            raise failed(f"the connection closed after {len(exc.partial):,} bytes, before "
                         "the whole file came") from None
        except TimeoutError:
            raise failed(f"no answer within {self.timeout:g} s") from None
        except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as exc:
            reason = getattr(exc, "reason", None) or exc
            if isinstance(reason, TimeoutError):
                raise failed(f"no answer within {self.timeout:g} s") from None
            raise failed(str(reason)) from None
        if len(data) > MAX_BYTES:
            raise failed(f"the server sent more than {MAX_BYTES:,} bytes")
        return data
