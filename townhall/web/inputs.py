"""Shared validation of what clients send, applied at the web boundary so that both databases answer the
same: ids bounded to what a PostgreSQL ``integer`` holds, text without NUL bytes or lone surrogates (which
PostgreSQL cannot store and no page can render), and strict JSON bodies (no ``true`` for an id, no ``"yes"``
for a boolean)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Path, Query
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from townhall.service import article_urls
from townhall.service.core import MAX_ID, storable

Id = Annotated[int, Path(ge=1, le=MAX_ID, description="A numeric id.")]
"""A numeric id in the path."""

IdValue = Annotated[int, Field(ge=1, le=MAX_ID)]
"""A numeric id in a query string, a form field or a list of them."""


def clean_text(value: str) -> str:
    """Refuse text that cannot be stored the same way on SQLite and PostgreSQL."""
    if not storable(value):
        raise ValueError("must be valid Unicode without NUL (\\u0000) characters")
    return value


SafeStr = Annotated[str, AfterValidator(clean_text)]
"""Free text that will be stored or compared with stored text; give its length bound with ``Field``,
``Query`` or ``Form`` (``max_length``)."""


def web_address(value: str) -> str:
    """Refuse an article address a page could not link safely (see townhall.service.article_urls); an empty one is
    none."""
    if value and article_urls.web_address(value) is None:
        raise ValueError(article_urls.RULE)
    return value


ArticleUrl = Annotated[SafeStr, AfterValidator(web_address)]
"""An article's address (a thread's ``url``): an absolute http(s) address with a host, or a path on the site
(``/…``); give its length bound with ``Field``."""


def _blank_is_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


FilterId = Annotated[IdValue | None, BeforeValidator(_blank_is_none), Query()]
"""An optional id in a filter form's query string, where a box left empty sends ``account=``."""

SiteQuery = Annotated[SafeStr | None, Query(max_length=64, description="A site id.")]
"""The ``?site=`` of dashboard pages."""

FormText = Annotated[SafeStr, Form()]
"""A form field of the dashboard (a token, a tick box). Form fields take their validators from ``Annotated``
only: ``field: SafeStr = Form("")`` would skip the NUL check."""

FormReason = Annotated[SafeStr, Form(max_length=2000)]
"""A moderator's reason or response, shown to the reader and kept in the audit log."""


class StrictBody(BaseModel):
    """Base of every JSON request body: unknown fields refused, ints and booleans taken only as such."""

    model_config = ConfigDict(extra="forbid", strict=True)
