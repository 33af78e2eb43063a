"""Entry point for multi-worker servers: ``uvicorn --factory townhall.web.factory:app``; settings from
the environment (TOWNHALL_*)."""

from __future__ import annotations

import gc
import logging
import sys

from townhall.app import Townhall, create_app
from townhall.policy import PolicyError

# Young-generation size for a serving process. With Python's default (700), the soak benchmark (500 open
# live-update streams, 50 writers) saw a full collection every few seconds, each walking every live object
# for 100-220 ms while all requests waited; with this and gc.freeze(), only young collections of ~25 ms.
GEN0_THRESHOLD = 50_000


def tune_collector() -> None:
    """For a long-running server process, once the application is built: move everything built so far
    (model, tables, routes) out of the cycle collector's sight, and collect young objects less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GEN0_THRESHOLD, 20, 20)


def configure_logging(level: str) -> None:
    """Show Townhall's own log lines (``townhall.*``: the paid-troll read-back, failed jobs, …) at ``level``,
    on standard error beside uvicorn's. Only the server does this; a library user keeps their own set-up."""
    logger = logging.getLogger("townhall")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)-9s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.propagate = False
    logger.setLevel(level.upper())


def app() -> Townhall:
    try:
        built = create_app()  # loads and checks the policy files
    except PolicyError as exc:  # a worker exits with one line (file:line: message), never serves 500s
        print(f"Townhall could not start: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(1) from None
    configure_logging(built.settings.log_level)
    tune_collector()
    return built
