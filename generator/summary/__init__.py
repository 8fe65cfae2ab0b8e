"""What a change to topologies does, in words: the semantic summary a reviewer reads.

Owns the comparison of two models of one topology (:mod:`.changes`: clusters, ranges,
gateways, roles, networks, VPN links, workloads moved, traffic reweighted, Istio), the
comparison of two rendered output trees folder by folder (:mod:`.files`), reading topologies
at a git revision (:mod:`.git`) and the three ways of printing a summary (:mod:`.render`:
text, Markdown for a pull-request comment, JSON). Models are compared, never YAML text.

May import: ``model``, ``artifacts``, ``enums``, ``errors``, ``text``.
"""
