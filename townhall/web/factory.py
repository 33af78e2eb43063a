"""Entry point for multi-worker servers: ``uvicorn --factory townhall.web.factory:app``; settings from
the environment (TOWNHALL_*)."""

from __future__ import annotations

from townhall.app import Townhall, create_app


def app() -> Townhall:
    return create_app()
