"""Parameter types shared by the commands."""

from __future__ import annotations

from typing import Any

import click


class Utf8Text(click.ParamType):
    """Text that must be valid UTF-8: a site id or a name. A shell passes other bytes through as lone surrogates
    (Python's ``surrogateescape``), which no database column can hold; they are refused here, naming the option."""

    name = "text"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            shown = text.encode("utf-8", "surrogateescape").decode("ascii", "backslashreplace")
            self.fail(f"'{shown}' is not valid UTF-8 text", param, ctx)
        return text


UTF8 = Utf8Text()
