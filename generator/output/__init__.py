"""The output folder on disk: one walk and one comparison, the atomic write, the build record.

Owns ``output/<name>/`` once rendered: :mod:`.tree` walks a folder (regular files only) and
compares it with a rendered tree; :mod:`.writer` swaps a new tree in atomically under a lock and
recovers after a crash; :mod:`.record` lets an unchanged rebuild skip its work. It knows files and
trees, never the model or the targets.

May import: ``artifacts``, ``enums``, ``errors``.
"""
