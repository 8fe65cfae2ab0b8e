"""Every rule name meshgen reports, with what it means: the reference the docs are made from.

A test holds this table and the code together: each rule the code can report is listed here,
and each rule listed here is one the code reports.

May import: ``inputs`` (the loader's limits), ``checks`` (the limits on what a topology makes),
``model`` (the limit on links once link sets are expanded).
"""

from __future__ import annotations

from typing import NamedTuple

from .checks.limits import (
    MAX_DESCRIPTION,
    MAX_FILES,
    MAX_OUTPUT_BYTES,
    MAX_PRIMARIES,
    MAX_STAGES,
    MAX_STEPS,
)
from .checks.mesh import LABEL_VALUE_MAX
from .inputs.loader import MAX_ALIAS_NODES, MAX_DEPTH
from .inputs.source_file import MAX_BYTES
from .model.linksets import MAX_LINKS


class Rule(NamedTuple):
    stage: str
    """load (reading the file), schema (its shape), check (what it means) or output (what
    is in the output folder)."""
    meaning: str


RULES: dict[str, Rule] = {
    # Reading the file.
    "unreadable": Rule("load", "The file cannot be read (missing permission), or is not a "
                               "regular file (a folder, a named pipe, a device): it is never "
                               "opened then."),
    "file-too-large": Rule("load", f"The file is over {MAX_BYTES // 2**20} MiB; topologies "
                                   "are a few kilobytes."),
    "not-utf8": Rule("load", "The file is not UTF-8 text."),
    "yaml-syntax": Rule("load", "The text is not valid YAML (tabs in indentation, a bracket "
                                "never closed, ...)."),
    "multi-document": Rule("load", "The file holds more than one YAML document (---)."),
    "not-a-mapping": Rule("load", "The file is empty, or its top level is not a mapping."),
    "duplicate-key": Rule("load", "A mapping has the same key twice. Other YAML tools would "
                                  "silently keep the last value; meshgen reads the first and "
                                  "goes on."),
    "non-string-key": Rule("load", "A mapping key is itself a list or mapping."),
    "unsupported-tag": Rule("load", "An explicit YAML tag such as !!python/object or "
                                    "!!binary; the value is left out and reading goes on."),
    "alias-bomb": Rule("load", f"Aliases expand to more than {MAX_ALIAS_NODES:,} nodes."),
    "recursive-alias": Rule("load", "An alias refers to a node that contains it."),
    "too-deep": Rule("load", f"Nesting deeper than {MAX_DEPTH} levels."),
    "control-character": Rule("load", "A key or value holds a character that prints nothing: "
                                      "a control (newline, ESC, NUL, DEL, C1), a bidi override "
                                      "or isolate, a zero-width or other format character, a "
                                      "line or paragraph separator. A tab is allowed in "
                                      "descriptions only."),
    # The shape, from schemas/topology.schema.json.
    "unknown-field": Rule("schema", "A field the schema does not know, usually a typo; the "
                                    "hint names the closest known field."),
    "missing-field": Rule("schema", "A required field is missing."),
    "wrong-type": Rule("schema", "A value of the wrong type (a number where a string belongs, "
                                 "a list where a mapping belongs, ...)."),
    "invalid-value": Rule("schema", "A value outside what the field allows: not one of its "
                                    "choices, not a DNS label, not an IP address, out of range."),
    "invalid-name": Rule("schema", "A mapping key that must be a name (cluster, service, "
                                   "version, header) is not a valid one."),
    "literal-secret": Rule("schema", "A pre-shared key written as the secret itself instead of "
                                     "{env: NAME} or {file: path}."),
    "duplicate-topology": Rule("check", "Two topology files use the same name, so both would "
                                        "write output/<name>/."),
    # What the topology means.
    "duplicate-name": Rule("check", "Two clusters, apps, stages, services or versions share a "
                                    "name, or two apps define the same service."),
    "cidr-invalid": Rule("check", "A pod or service range is not a CIDR."),
    "cidr-host-bits": Rule("check", "A range has host bits set (10.1.0.1/16); the strongSwan "
                                    "chart refuses ranges that are not canonical."),
    "cidr-not-canonical": Rule("check", "A range written another way than its one spelling "
                                        "(10.1.0.0/016, upper-case or uncompressed IPv6); "
                                        "generated files copy ranges as written. Leading "
                                        "zeros in an IPv4 address are cidr-invalid instead: "
                                        "010 is 10 to some tools and 8 to others."),
    "cidr-overlap": Rule("check", "Two ranges overlap within a cluster, or across clusters "
                                  "whose pods are routed to each other (a flat network)."),
    "gateway-in-cidr": Rule("check", "A public gateway address lies inside a pod or service "
                                     "range."),
    "gateway-missing": Rule("check", "An end of a VPN link has no vpnGateway."),
    "gateway-address": Rule("check", "A gateway or listen address no peer can use: 0.0.0.0 or "
                                     "::, a loopback, multicast, link-local or broadcast "
                                     "address, an IPv4 address written as IPv6 "
                                     "(::ffff:10.1.0.5), or an address written another way "
                                     "than its one spelling. A zone index such as %eth0 is "
                                     "refused by the schema."),
    "gateway-shared": Rule("check", "Two listening VPN releases, or two clusters, would claim "
                                    "one address; give the link its own listenAddress."),
    "unknown-reference": Rule("check", "A name that refers to nothing: a cluster, primary, "
                                       "workload, service, version or initiator."),
    "version-not-deployed": Rule("check", "A traffic stage routes to a version the app "
                                          "defines but no cluster runs."),
    "duplicate-link": Rule("check", "Two VPN links join the same two clusters: two links "
                                    "written on their own, or two link sets; a link written on "
                                    "its own replaces the link a set makes for its pair."),
    "set-repeats-cluster": Rule("check", "A link set names a cluster twice."),
    "set-hub-is-spoke": Rule("check", "A cluster is both a hub and a spoke of one "
                                      "hub-and-spoke set."),
    "set-empty": Rule("check", "A link set makes no link: a full mesh of fewer than two "
                               "clusters, or hubs without spokes."),
    "psk-pattern-clash": Rule("check", "A link set's key pattern gives two links the same "
                                       "pre-shared key name (cluster names with '-' can run "
                                       "together)."),
    "listen-pool-too-small": Rule("check", "A cluster listens on more links than its "
                                           "vpnGateway and listenPool have addresses for."),
    "link-subnet-overlap": Rule("check", "The two sides of a tunnel overlap, so it would carry "
                                         "nothing; renumber, or NAT with the chart's "
                                         "localSubnetNAT/remoteSubnetNAT."),
    "link-missing": Rule("check", "On a flat network, workloads call across two clusters with "
                                  "no tunnel between them."),
    "proposal-invalid": Rule("check", "An IKE or ESP proposal is not valid strongSwan syntax."),
    "weak-crypto": Rule("check", "A proposal uses DES, 3DES, MD5, SHA-1 or MODP-768/1024/1536; "
                                 "a warning where the link sets allowWeakCrypto."),
    "ikev1-single-subnet": Rule("check", "IKEv1 allows one subnet per side, but every cluster "
                                         "routes two."),
    "lifetime-too-short": Rule("check", "A lifetime is not longer than marginTime, so re-keying "
                                        "could never start in time."),
    "control-plane-path": Rule("check", "A remote cannot reach istiod on its primary: it goes "
                                        "through the VPN (the default on a flat network) but "
                                        "no link joins them, or Istio 1.0 is asked for an "
                                        "east-west gateway; a warning for an "
                                        "eastWestGatewayIP no gateway uses."),
    "primary-count": Rule("check", "Model primary-remote needs exactly one primary, "
                                   "multi-primary at least two."),
    "remote-primary": Rule("check", "A remote does not say (or cannot imply) its primary, names "
                                    "a cluster that is not a primary, or a primary names one."),
    "istio-version": Rule("check", "An Istio version meshgen cannot install, or a setting that "
                                   "version does not have."),
    "label-too-long": Rule("check", f"A Kubernetes label value meshgen would write is over "
                                    f"{LABEL_VALUE_MAX} characters: the default network "
                                    "<cluster>-network of a long cluster name."),
    "network-mismatch": Rule("check", "Network names contradict the network mode: different "
                                      "names on a flat network, a shared name on per-cluster "
                                      "networks."),
    "ingress-cluster": Rule("check", "An app's ingress is on a remote, where its Gateway would "
                                     "not be read."),
    "ingress-entry": Rule("check", "An app has an ingress but no entry (what the gateway "
                                   "serves)."),
    "callee-not-placed": Rule("check", "A placed workload calls a service no cluster runs."),
    "delivery-repository": Rule("check", "A GitOps controller that needs the repository's URL "
                                         "(Argo CD) is chosen, but delivery.repository.url is "
                                         "not given."),
    "delivery-key-reference": Rule("check", "Flux reads each link's pre-shared key from a "
                                            "Secret named after the key's reference; this "
                                            "reference makes no valid Secret name, or the same "
                                            "name as another reference."),
    "delivery-address": Rule("check", "Argo CD cannot read an address from a cluster: a "
                                      "primary with remotes needs them to reach istiod through "
                                      "its east-west gateway at an eastWestGatewayIP, so that "
                                      "the remotes' values in git hold it."),
    "active-stage": Rule("check", "The activeStage of the delivery names no traffic stage."),
    "weights-sum": Rule("check", "The weights of a split do not add up to 100."),
    "regex-invalid": Rule("check", "A regex match that RE2, Envoy's regex engine, refuses "
                                   "(a look-around, a back-reference, a repetition over "
                                   "1000); Istio would reject the VirtualService."),
    "key-file": Rule("check", "A pre-shared key file that lies inside output/ (committed and "
                              "published), or that exists and is not a regular file (a named "
                              "pipe, a device, a folder). A file not there yet is fine."),
    "catch-all-not-last": Rule("check", "A rule without match comes before other rules, which "
                                        "could then never apply."),
    "default-missing": Rule("check", "Ordered rules end with a match, so requests matching no "
                                     "rule are refused."),
    # How much one topology may make: each limit is checked on the model, before rendering.
    "limit-description": Rule("check", f"A description is over {MAX_DESCRIPTION:,} "
                                       "characters."),
    "limit-primaries": Rule("check", f"More than {MAX_PRIMARIES} primaries (each reads every "
                                     "other cluster)."),
    "limit-stages": Rule("check", f"More than {MAX_STAGES} traffic stages."),
    "limit-links": Rule("check", f"Link sets would take the topology past {MAX_LINKS:,} VPN "
                                 "links; the set that would cross it is not made into links."),
    "limit-files": Rule("check", f"The output would have more than {MAX_FILES:,} files."),
    "limit-steps": Rule("check", f"The runbook would have more than {MAX_STEPS:,} steps."),
    "limit-output-bytes": Rule("check", f"The output would take more than "
                                        f"{MAX_OUTPUT_BYTES // 2**20} MiB."),
    # What is in the output folder (build, check, diff, verify and docs).
    "output-link": Rule("output", "A symbolic link in a topology's output folder (or in its "
                                  "place): never followed, never removed by a build."),
    "output-special-file": Rule("output", "A FIFO, socket or device in a topology's output "
                                          "folder: never opened, so nothing waits on it or "
                                          "reads it."),
    "output-not-folder": Rule("output", "A file where a topology's output folder belongs."),
}

OUTPUT_RULES: dict[str, Rule] = {
    # meshgen check and diff.
    "output-drift": Rule("output", "A file under output/ is not what meshgen build would "
                                   "write: changed or added by hand, missing, or with other "
                                   "permissions."),
    "output-stale": Rule("output", "A generated folder under output/ whose topology is gone."),
    # meshgen verify.
    "verify-object": Rule("verify", "A generated object does not match the schema of its kind "
                                    "(a Kubernetes kind, an Istio CRD, IstioOperator), or no "
                                    "schema covers it."),
    "verify-values": Rule("verify", "A Helm values file sets a key the chart does not have, or "
                                    "a value its values schema refuses."),
    "verify-kustomization": Rule("verify", "A kustomization lists a file that is not a "
                                           "manifests file of its folder."),
    "verify-file": Rule("verify", "A file MANIFEST.json lists is missing, not YAML, or of a "
                                  "kind meshgen does not write."),
}
"""Rule names of what ``meshgen check``, ``diff`` and ``verify`` find in ``output/``."""
