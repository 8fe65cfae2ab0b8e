"""The output folder on disk: one walk and one comparison, the atomic write, the build record.

Owns ``output/<name>/`` once rendered: :mod:`.tree` walks a folder (regular files only) and
compares it with a rendered tree; :mod:`.folders` turns whatever else is there (links, FIFOs,
sockets, devices) into located problems; :mod:`.writer` swaps a new tree in atomically under a
lock and recovers after a crash; :mod:`.reading` is how every command that reads the output
folder finds it (recovered, walked, refused when foreign entries are there); :mod:`.record`
lets an unchanged rebuild skip its work, reading topology files the one way the loader does;
:mod:`.prefetch` reads the folders in a second process while ``check`` renders;
:mod:`.pause` holds a process at a named point for tests. It knows files and trees, never the
model or the targets.

May import: ``artifacts``, ``enums``, ``errors``, ``inputs.source_file``.
"""
