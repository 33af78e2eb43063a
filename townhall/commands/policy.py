"""``townhall policy check FILE`` and ``townhall moderate``: the policy file and bulk moderation.

Both load the policy with :func:`townhall.policy.load_policy`. A caller embedding the CLI (or a test) may
pass ``obj={"rule_types": {...}, "resources": Resources(...)}`` to click to add or replace rule types
or to share loaded resources (such as the classifier model).
"""

from __future__ import annotations

import io
import json
import os
import sys
from pathlib import Path
from typing import IO, Any, Iterator, Mapping

import click

from townhall.policy import Policy, PolicyError, load_policy
from townhall.policy.rules.base import Resources

__all__ = ["register"]


def _embedding(ctx: click.Context, key: str) -> Any:
    obj = ctx.find_object(dict)
    return obj.get(key) if obj else None


def _load(ctx: click.Context, path: str | None) -> Policy:
    rule_types: Mapping[str, Any] | None = _embedding(ctx, "rule_types")
    resources: Resources | None = _embedding(ctx, "resources")
    try:
        return load_policy(path, resources=resources, rule_types=rule_types)
    except PolicyError as exc:
        click.echo(str(exc), err=True)
        ctx.exit(1)
        raise  # unreachable: ctx.exit raises


@click.group("policy")
def policy_group() -> None:
    """Check and explain policy files (the house rules)."""


@policy_group.command("check")
@click.argument("file", type=click.Path(path_type=str))  # a directory: the loader's one line, as for any wrong file
@click.pass_context
def check(ctx: click.Context, file: str) -> None:
    """Validate FILE and print its rules in plain words (exit 1 with file:line: message if it is wrong)."""
    from rich.console import Console
    from rich.markup import escape

    policy = _load(ctx, file)
    console = Console(highlight=False, soft_wrap=True)
    console.print(f"[green]OK[/green] {escape(policy.source)} (version {policy.version})")
    lines = policy.describe()
    console.print(f"[bold]{escape(lines[0])}[/bold]")
    for line in lines[1:]:
        name, _, rest = line.partition(": ")
        console.print(f"  • [bold]{escape(name)}[/bold]: {escape(rest)}" if rest else f"  • {escape(line)}")


def _progress_lines(stream: IO[str], total_bytes: int | None) -> Iterator[str]:
    """Yield the lines of ``stream``, drawing a progress bar on stderr (only when stderr is a terminal)."""
    if not sys.stderr.isatty():
        # not `yield from`: closing this generator (at exit, after the stream was detached) would close the stream
        for line in stream:
            yield line
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("moderating"), BarColumn(), TextColumn("{task.completed:,.0f} bytes"),
                  TimeRemainingColumn(), console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("moderate", total=total_bytes)
        for line in stream:
            progress.advance(task, len(line.encode("utf-8", "surrogatepass")))
            yield line


@click.command("moderate")
@click.option("--policy", "policy_path", type=click.Path(dir_okay=False, path_type=str), default=None,
              help="Policy file (default: the packaged house rules).")
@click.option("--text", "text", default=None, help="Check this one text instead of reading JSON Lines.")
@click.argument("input_path", metavar="[INPUT|-]", required=False, default="-")
@click.pass_context
def moderate(ctx: click.Context, policy_path: str | None, text: str | None, input_path: str) -> None:
    """Judge comments: JSON Lines {"id", "text"} in, one JSON line per comment out, in order.

    Malformed lines are reported on stderr by line number and answered with {"line": N, "error": ...}.
    """
    from townhall.service.batch import moderate_lines, moderate_text

    policy = _load(ctx, policy_path)
    out = sys.stdout
    if text is not None:
        from townhall.service.core import storable

        if not storable(text.replace("\x00", "")):  # undecodable bytes in the argument (surrogate escapes)
            raise click.ClickException("--text is not valid UTF-8 text")
        out.write(json.dumps(moderate_text(policy, text), ensure_ascii=False) + "\n")
        return

    def report(number: int, message: str) -> None:
        click.echo(f"{input_path if input_path != '-' else '<stdin>'}:{number}: {message}", err=True)

    if input_path == "-":
        def write_through(line: str) -> None:  # a pipe gets each answer as soon as it is judged
            out.write(line)
            out.flush()

        # read as a file is (UTF-8, a byte order mark skipped, undecodable bytes replaced), whatever the locale
        buffer = getattr(sys.stdin, "buffer", None)
        if buffer is None:  # a text-only stream (an embedding caller's): read it as it is
            moderate_lines(policy, _progress_lines(sys.stdin, None), write_through, on_error=report)
            return
        stdin = io.TextIOWrapper(buffer, encoding="utf-8-sig", errors="replace", newline=None)
        try:
            moderate_lines(policy, _progress_lines(stdin, None), write_through, on_error=report)
        finally:
            stdin.detach()  # leave sys.stdin's buffer open
        return
    try:
        handle = Path(input_path).open(encoding="utf-8-sig", errors="replace", newline=None)
    except OSError as exc:
        click.echo(f"{input_path}: cannot read: {exc.strerror or exc}", err=True)
        ctx.exit(1)
        return
    with handle:
        size = os.fstat(handle.fileno()).st_size
        moderate_lines(policy, _progress_lines(handle, size), out.write, on_error=report)


def register(group: click.Group) -> None:
    group.add_command(policy_group)
    group.add_command(moderate)
