"""Inputs: finding a project's topology files, reading them, and checking their structure.

Owns the one way a topology file is read (:mod:`.source_file`: a regular file, its size looked
at before a byte is read), the loader (bytes to data with a source map, every node's line and
column), the characters no topology may hold (:mod:`.characters`), the JSON Schema check
(structural problems, located), the did-you-mean of mistyped names, the project lookup (where
topologies live, how they may be named) and where the project's site is published. Everything
else may import it.

May import: ``errors``.
"""
