"""Inputs: finding a project's topology files, reading them, and checking their structure.

Owns the loader (bytes to data with a source map, every node's line and column), the JSON
Schema check (structural problems, located) and the project lookup (where topologies live,
how they may be named). Everything else may import it.

May import: ``errors``.
"""
