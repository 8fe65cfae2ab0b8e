"""Jinja templates of the text formats: strongSwan configs, shell scripts, the starter topology.

:mod:`generator.templating` loads them.

May import: nothing of meshgen.
"""
