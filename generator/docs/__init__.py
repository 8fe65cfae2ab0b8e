"""The documentation site: pages made at build time from topologies and ``output/``.

``plugin`` hooks into MkDocs (so a plain ``mkdocs build`` makes the same site as
``meshgen docs``); the other modules turn the model and the committed files into Markdown.

May import: ``api``, ``artifacts``, ``enums``, ``errors``, ``inputs``, ``model``, ``output``,
``rules``, ``summary``, ``targets``, ``text``, ``cli_reference`` (the command line as data, for
its page).
"""
