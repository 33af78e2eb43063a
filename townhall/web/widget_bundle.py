"""The reader's widget as publishers load it (``/embed.js``): one script, concatenated from its parts.

The source lives in ``townhall/web/static/widget/`` as ordered parts, ``NN-name.js``, each under ~500 lines: the
parts' file names, sorted, are the order of concatenation. ``00-head.js`` starts with the licence and usage header
and opens the script's one IIFE (``(function () { 'use strict'; …``), ``90-api.js`` closes it, so the widget's
top-level names stay private to it; ``40-widget.js`` holds the ``Widget`` class with its constructor and core, and
the parts after it add the class's other methods, grouped by what they do, with ``addMethods(Widget, {…})``. A
part is a fragment of that one function, not a script of its own: only the whole bundle parses.

There is no build step and no bundler: the application concatenates the parts once, when it is built
(:func:`townhall.web.app.create_asgi`), and serves those bytes; the bench and the tests call :func:`bundle` too.
"""

from __future__ import annotations

import re
from importlib import resources

PACKAGE = "townhall.web"
PART_NAME = re.compile(r"\d\d-[a-z0-9-]+\.js")


def parts() -> list[tuple[str, bytes]]:
    """The widget's parts as ``(file name, bytes)``, in the order they are concatenated (by file name)."""
    folder = resources.files(PACKAGE) / "static" / "widget"
    found = [p for p in folder.iterdir() if p.is_file() and PART_NAME.fullmatch(p.name)]
    return [(p.name, p.read_bytes()) for p in sorted(found, key=lambda p: p.name)]


def bundle() -> bytes:
    """The widget's script: its parts, in order, each ending with a newline. Raises ``FileNotFoundError`` if
    there are none (an installation without the package's data)."""
    found = parts()
    if not found:
        raise FileNotFoundError(f"no widget parts in {PACKAGE}'s static/widget")
    return b"".join(data if data.endswith(b"\n") else data + b"\n" for _, data in found)
