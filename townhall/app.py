"""The application object: builds the whole service in-process from settings (Datasette-style)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI

from townhall.policy.rules.base import Resources
from townhall.service.core import Clock, Services, build_services, utcnow
from townhall.service.operations import Operations
from townhall.service.trolls import TrollWatch
from townhall.settings import Settings
from townhall.web.app import create_asgi


@dataclass
class Townhall:
    settings: Settings
    services: Services
    asgi: FastAPI

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.asgi(scope, receive, send)

    def close(self) -> None:
        if self.services.operations is not None:
            self.services.operations.stop()
        if self.services.trolls is not None:
            self.services.trolls.stop()
        self.services.db.dispose()


def create_app(settings: Settings | None = None, *, clock: Clock = utcnow, migrate: bool = True,
               resources: Resources | None = None) -> Townhall:
    """Build Townhall from settings: database (migrated), policies, services and the ASGI app. ``resources``: the
    classifier model of another application in this process with the same model settings, shared instead of
    loaded again (see ``build_services``)."""
    settings = settings or Settings.load()
    services = build_services(settings, clock=clock, migrate=migrate, resources=resources)
    services.trolls = TrollWatch(services)
    services.operations = Operations.attach(services)
    return Townhall(settings=settings, services=services, asgi=create_asgi(services))
