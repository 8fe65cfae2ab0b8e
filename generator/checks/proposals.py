"""strongSwan proposal syntax and weak algorithms."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from ..errors import Problem, Severity
from ..model import DEFAULT_ESP, DEFAULT_IKE, Topology
from .registry import check

# Known algorithm keywords of strongSwan's proposal syntax, as the parser accepts them.
_ENCRYPTION = re.compile(
    r"^(aes(128|192|256)?(gcm(8|12|16|64|96|128)?|ccm(8|12|16|64|96|128)?|ctr)?(_(8|12|16))?"
    r"|aes(128|192|256)?gmac|3des|des|blowfish(128|192|256)?|cast128|camellia(128|192|256)?"
    r"(ctr|ccm(8|12|16|64|96|128)?)?|chacha20poly1305|null)$"
)
_INTEGRITY = re.compile(
    r"^(md5|md5_128|sha1|sha1_160|sha|sha256|sha2_256|sha256_96|sha2_256_96|sha384|sha2_384"
    r"|sha512|sha2_512|aesxcbc|aescmac|aes128gmac|aes192gmac|aes256gmac)$"
)
_PRF = re.compile(r"^prf(md5|sha1|sha256|sha384|sha512|aesxcbc|aescmac)$")
_DH = re.compile(
    r"^(modp(768|1024|1536|2048|3072|4096|6144|8192)|modp1024s160|modp2048s224|modp2048s256"
    r"|ecp(192|224|256|384|521)|ecp224bp|ecp256bp|ecp384bp|ecp512bp|curve25519|x25519"
    r"|curve448|x448|noesn|esn)$"
)
_WEAK = {
    "des": "DES",
    "3des": "3DES",
    "md5": "MD5",
    "md5_128": "MD5",
    "sha1": "SHA-1",
    "sha": "SHA-1",
    "sha1_160": "SHA-1",
    "prfmd5": "MD5",
    "prfsha1": "SHA-1",
    "modp768": "MODP-768",
    "modp1024": "MODP-1024",
    "modp1024s160": "MODP-1024",
    "modp1536": "MODP-1536",
}


def proposal_problems(text: str, kind: str) -> tuple[list[str], list[str]]:
    """Errors and weak algorithms of one ``ike``/``esp`` value (comma separated proposals)."""
    errors: list[str] = []
    weak: list[str] = []
    for proposal in text.rstrip("!").split(","):
        parts = proposal.strip().split("-")
        if not proposal.strip() or not all(parts):
            errors.append(f"'{proposal}' is not a proposal (algorithms joined by '-')")
            continue
        has_encryption = False
        for part in parts:
            encryption = _ENCRYPTION.fullmatch(part) is not None
            if not (encryption or _INTEGRITY.fullmatch(part) or _DH.fullmatch(part)
                    or (kind == "ike" and _PRF.fullmatch(part))):
                errors.append(f"unknown algorithm '{part}' in '{proposal}'")
                continue
            has_encryption = has_encryption or encryption
            if part in _WEAK:
                weak.append(_WEAK[part])
        if not has_encryption and not errors:
            errors.append(f"'{proposal}' names no encryption algorithm")
        if kind == "ike" and not any(_DH.fullmatch(p) for p in parts) and not errors:
            errors.append(f"'{proposal}' names no key exchange (DH) group")
    return errors, sorted(set(weak))


@check()
def proposals_valid(t: Topology) -> Iterator[Problem]:
    told = functools.cache(proposal_problems)  # links share their proposals
    for link in t.vpn:
        for key, text in (("ike", link.ike), ("esp", link.esp)):
            errors, weak = told(text, key)
            at = (*link.at, key)
            for message in errors:
                yield Problem("proposal-invalid", message, at,
                              f"write strongSwan proposals such as {DEFAULT_IKE}")
            if weak and not link.allow_weak_crypto:
                yield Problem(
                    "weak-crypto",
                    f"{key} proposal uses weak algorithms: {', '.join(weak)}",
                    at,
                    f"use {DEFAULT_IKE} (ike) / {DEFAULT_ESP} (esp), or set "
                    "allowWeakCrypto: true on this link if the peer can do nothing better",
                )
            elif weak:
                yield Problem(
                    "weak-crypto",
                    f"{key} proposal uses weak algorithms: {', '.join(weak)} (allowed by "
                    "allowWeakCrypto)",
                    at,
                    "plan to move the peer to a stronger proposal",
                    Severity.WARNING,
                )


