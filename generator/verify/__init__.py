"""``meshgen verify``: generated objects against the schemas of what is installed.

Owns the strict Kubernetes schemas (:mod:`.kube`), the Istio CRDs made strict (:mod:`.crds`),
IstioOperator checks (:mod:`.operator`), chart values (:mod:`.values`), where those schemas come
from (:mod:`.sources`) and the run over an output folder (:mod:`.run`). May import the artifact
contract, the inputs' YAML loader and :mod:`generator.errors`; never the model or the targets.
"""
