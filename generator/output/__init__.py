"""The output folder on disk: writing a rendered tree atomically, and the record of builds.

Owns ``output/<name>/`` once rendered: the atomic swap, the lock, recovery after a crash, and
the build record that lets an unchanged rebuild skip its work. May import the artifact
contract and :mod:`generator.errors`; never the model, the targets or anything above them.
"""
