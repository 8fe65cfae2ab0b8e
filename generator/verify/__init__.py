"""``meshgen verify``: generated objects against the schemas of what is installed.

Owns the strict Kubernetes schemas (:mod:`.kube`), the Istio CRDs made strict (:mod:`.crds`),
IstioOperator checks (:mod:`.operator`), chart values (:mod:`.values`), the Flux and Argo CD CRD
schemas (:mod:`.gitops`), where those schemas come from (:mod:`.sources`, downloaded and cached
by :mod:`.download`) and the run over an output
folder (:mod:`.run`), which it reads as every command does (:mod:`generator.output.reading`:
recovered, and never through a link). It learns what each file holds from MANIFEST.json, never
from the model or the targets.

May import: ``artifacts``, ``enums``, ``errors``, ``inputs.loader``, ``inputs.settings``,
``output.reading``, ``output.tree``.
"""
