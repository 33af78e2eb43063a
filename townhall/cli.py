"""The ``townhall`` command line. Each area's commands live in ``townhall/commands/<area>.py`` and
are attached here; every module exposes ``register(group: click.Group) -> None``."""

from __future__ import annotations

import importlib
import os
import sys

import click

from townhall import __version__

# Modules under townhall.commands that contribute commands, in help order.
COMMAND_MODULES: tuple[str, ...] = ("server", "policy", "classifiers", "archive", "webhooks", "mail", "privacy", "maintenance", "trolls", "users", "threads", "announce")


class _Townhall(click.Group):
    """The command group. A command that fails on what it was given (a missing site, a broken file or
    policy file, a database it cannot reach) says so in one line and exits 1, rather than printing a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        from sqlalchemy.exc import SQLAlchemyError

        from townhall.policy import PolicyError
        from townhall.service.errors import ServiceError
        from townhall.service.jobs import PermanentError
        from townhall.store.db import SchemaTooNew

        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except BrokenPipeError:  # the reader of our output stopped (`townhall … | head -1`): end quietly
            _quiet_stdout()
            raise SystemExit(141) from None  # 128 + SIGPIPE, as a Unix tool killed by it ends
        except ServiceError as exc:
            raise click.ClickException(exc.message) from exc
        except SchemaTooNew as exc:  # a database a newer Townhall migrated: said plainly, before anything else
            raise click.ClickException(str(exc)) from exc
        except PolicyError as exc:  # file:line: message, as `townhall policy check` prints it
            raise click.ClickException(str(exc)) from exc
        except SQLAlchemyError as exc:
            raise click.ClickException(f"the database refused: {str(exc).splitlines()[0]}") from exc
        except (OSError, ValueError, KeyError, PermanentError) as exc:
            raise click.ClickException(f"{type(exc).__name__}: {exc}") from exc


def _quiet_stdout() -> None:
    """Point standard output at /dev/null: the interpreter flushes it at exit, which would fail again (and say so)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no file descriptor (a test's captured output): nothing is flushed to a pipe
        pass
    finally:
        os.close(devnull)


def build_cli() -> click.Group:
    @click.group(cls=_Townhall, context_settings={"help_option_names": ["-h", "--help"]})
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
