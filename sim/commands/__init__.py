"""Subcommands of ``courtsim``: one module each, with ``register`` and ``run``."""
