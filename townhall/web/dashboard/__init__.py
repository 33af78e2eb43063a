"""The moderators' dashboard at /admin: server-rendered pages (Jinja2 + htmx), session sign-in, CSRF."""

from __future__ import annotations

from fastapi import APIRouter

from townhall.web.dashboard import routes_admin, routes_articles, routes_queue

router = APIRouter()
router.include_router(routes_queue.router)
router.include_router(routes_articles.router)
router.include_router(routes_admin.router)

__all__ = ["router"]
