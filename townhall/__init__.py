"""Townhall: a self-hosted comment section whose house rules are enforced automatically, evenly and in the open."""

__version__ = "0.1.0"

__all__ = ["__version__"]
