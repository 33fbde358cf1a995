"""Subcommands of ``hil`` that belong to the protocol: ``decode`` and ``xtce``."""
