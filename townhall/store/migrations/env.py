"""Alembic environment: migrations run on the connection the application passes in."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from townhall.store.schema import metadata

target_metadata = metadata


def run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        engine = create_engine(context.config.get_main_option("sqlalchemy.url") or "")
        with engine.begin() as conn:
            context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
            context.run_migrations()
        return
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    context.run_migrations()


run()
