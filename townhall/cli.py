"""The ``townhall`` command line. Each area's commands live in ``townhall/commands/<area>.py`` and
are attached here; every module exposes ``register(group: click.Group) -> None``."""

from __future__ import annotations

import importlib

import click

from townhall import __version__

# Modules under townhall.commands that contribute commands, in help order.
COMMAND_MODULES: tuple[str, ...] = ("server", "policy", "classifiers", "archive", "webhooks", "mail", "privacy", "maintenance", "trolls", "users")


def build_cli() -> click.Group:
    @click.group(context_settings={"help_option_names": ["-h", "--help"]})
    @click.version_option(__version__, prog_name="townhall")
    def cli() -> None:
        """Townhall: comments under your articles, with house rules enforced in the open."""

    for name in COMMAND_MODULES:
        importlib.import_module(f"townhall.commands.{name}").register(cli)
    return cli


def main() -> None:
    build_cli()(prog_name="townhall")


if __name__ == "__main__":
    main()
