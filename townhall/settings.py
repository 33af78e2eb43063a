"""Settings as data: every setting has a name, a type, a default and a help line.

Values come, in increasing priority, from the defaults, a TOML config file (``--config``), environment
variables ``TOWNHALL_<NAME>`` and explicit overrides (command-line options, tests).
"""

from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Mapping


class SettingsError(ValueError):
    """A setting has a wrong value or an unknown name."""


@dataclass(frozen=True, slots=True)
class SettingSpec:
    name: str
    type: type
    default: Any
    help: str
    at_least: float | None = None  # a number's smallest allowed value
    above: float | None = None  # a number must be greater than this
    choices: tuple[str, ...] | None = None  # a text's allowed values (compared in lower case, kept so)


SPECS: tuple[SettingSpec, ...] = (
    SettingSpec("data_dir", str, "./townhall-data", "Directory for the SQLite database and other local files."),
    SettingSpec("database_url", str, "", "SQLAlchemy URL; empty means SQLite at DATA_DIR/townhall.db. Use postgresql+psycopg://… for PostgreSQL."),
    SettingSpec("secret", str, "", "Secret for signing sessions and hashing signals; generated and stored in the database when empty."),
    SettingSpec("policy", str, "", "Path of the policy file of every site (the default site and those added on the dashboard); empty means the packaged default house rules."),
    SettingSpec("sso_secret", str, "", "HS256 secret with which the default site signs reader JWTs; generated when empty."),
    SettingSpec("default_site", str, "default", "Id of the site created on first start and used when a request names none."),
    SettingSpec("site_name", str, "Demo Gazette", "Display name of the default site."),
    SettingSpec("allow_guests", bool, None, "Let readers without SSO comment under a display name (default site): true or false sets it at every start; unset leaves it as it is (off on a new installation, or as an admin set it on the dashboard)."),
    SettingSpec("sso_require_email_verified", bool, False, "Count a reader token's 'email' as verified only when the token says 'email_verified: true' (off: a token without the claim vouches for its address). An unverified address is not stored and claims no imported history."),
    SettingSpec("sso_token_max_age_days", float, 30.0, "How long a reader token without 'exp' is accepted after its 'iat' (a token with neither is refused).", at_least=0),
    SettingSpec("public_url", str, "", "Public base URL of this server (used in e-mails and links); empty, links in e-mails point at http://localhost:8000, which townhall doctor warns about."),
    SettingSpec("demo", bool, True, "Serve the demo article page at /demo."),
    SettingSpec("max_body_bytes", int, 65536, "Largest accepted request body, in bytes.", at_least=1),
    SettingSpec("body_timeout_seconds", float, 30.0, "Longest time a client may take to send a request body, from the server's first read of it to its last byte; slower ones get 408 (0 disables).", at_least=0),
    SettingSpec("live_streams_per_client", int, 16, "Live-update streams one client address (an IPv6 client's /64) may hold open at once in each server process; more get 429 (0: no limit).", at_least=0),
    SettingSpec("rate_limit_per_minute", int, 30, "Write requests allowed per account and per IP prefix each minute (0 disables).", at_least=0),
    SettingSpec("edit_window_minutes", float, -1.0, "Override of the policy's edit window (negative: use the policy)."),
    SettingSpec("troll_interval_seconds", float, 300.0, "How often the coordination detector re-clusters accounts (0 disables the schedule).", at_least=0),
    SettingSpec("ip_salt_rotation_days", float, 30.0, "IP prefix hashes use a salt that rotates this often; older hashes stop matching.", above=0),
    SettingSpec("signal_retention_days", float, 90.0, "IP, user-agent and device hashes older than this are purged.", above=0),
    SettingSpec("session_hours", float, 12.0, "Lifetime of a moderator's dashboard session.", above=0),
    SettingSpec("smtp_url", str, "", "SMTP server for e-mail, e.g. smtp://localhost:25; empty disables e-mail."),
    SettingSpec("mail_from", str, "townhall@localhost", "From address of e-mails."),
    SettingSpec("model_dir", str, "", "Directory of classifier artifacts; empty means those shipped in the package."),
    SettingSpec("classifier_route_at", float, -1.0, "Linear score from which the encoder re-reads a comment (0: every comment, 1: none; negative: the model's trained value)."),
    SettingSpec("log_level", str, "info", "Logging level of the server (uvicorn's lines and Townhall's own): debug, info, warning, error or critical.",
                choices=("debug", "info", "warning", "error", "critical")),
    SettingSpec("page_cache_seconds", float, 1.0, "How long a thread's first page, as signed-out readers see it, is reused (new comments reach it this late at most; removals and edits at once; 0 disables).", at_least=0),
    SettingSpec("worker_threads", int, 8, "Threads per process that run request handlers (0: the server's default of 40).", at_least=0),
    SettingSpec("webhooks_allow_private", bool, False, "Allow webhook URLs whose host is, or resolves to, a loopback, private, link-local or other non-public address (off: such URLs are refused when added and when delivering)."),
)

_BY_NAME = {spec.name: spec for spec in SPECS}


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: str = "./townhall-data"
    database_url: str = ""
    secret: str = ""
    policy: str = ""
    sso_secret: str = ""
    default_site: str = "default"
    site_name: str = "Demo Gazette"
    allow_guests: bool | None = None  # None: leave the default site's setting as it is
    sso_require_email_verified: bool = False
    sso_token_max_age_days: float = 30.0  # a token without exp: accepted until iat + this (townhall/web/auth.py)
    public_url: str = ""
    demo: bool = True
    max_body_bytes: int = 65536
    body_timeout_seconds: float = 30.0
    live_streams_per_client: int = 16
    rate_limit_per_minute: int = 30
    edit_window_minutes: float = -1.0
    troll_interval_seconds: float = 300.0
    ip_salt_rotation_days: float = 30.0
    signal_retention_days: float = 90.0
    session_hours: float = 12.0
    smtp_url: str = ""
    mail_from: str = "townhall@localhost"
    model_dir: str = ""
    classifier_route_at: float = -1.0
    log_level: str = "info"
    page_cache_seconds: float = 1.0
    worker_threads: int = 8
    webhooks_allow_private: bool = False

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{Path(self.data_dir).resolve() / 'townhall.db'}"

    def with_overrides(self, **values: Any) -> Settings:
        return replace(self, **{k: _coerce(k, v) for k, v in values.items() if v is not None})

    @classmethod
    def load(
        cls,
        config_file: str | Path | None = None,
        environ: Mapping[str, str] | None = None,
        **overrides: Any,
    ) -> Settings:
        values: dict[str, Any] = {}
        if config_file:
            path = Path(config_file)
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
            except UnicodeDecodeError as exc:  # saved in another encoding (Latin-1, UTF-16): TOML is UTF-8
                raise SettingsError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8") from exc
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise SettingsError(f"{path}: {exc}") from exc
            for key, value in data.items():
                values[key] = _coerce(key, value, source=str(path))
        env = os.environ if environ is None else environ
        for spec in SPECS:
            raw = env.get(f"TOWNHALL_{spec.name.upper()}")
            if raw is not None and not (spec.default is None and not raw.strip()):  # empty: unset, where that differs
                values[spec.name] = _coerce(spec.name, raw, source=f"TOWNHALL_{spec.name.upper()}")
        for key, value in overrides.items():
            if value is not None:
                values[key] = _coerce(key, value)
        return cls(**values)


def _coerce(name: str, value: Any, source: str = "settings") -> Any:
    spec = _BY_NAME.get(name)
    if spec is None:
        raise SettingsError(f"{source}: unknown setting {name!r}")
    if spec.type is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in {"1", "true", "yes", "on"}:
            return True
        if text in {"0", "false", "no", "off", ""}:
            return False
        raise SettingsError(f"{source}: {name} must be true or false, not {value!r}")
    if spec.choices is not None:  # e.g. log_level: a level the server cannot use would stop it with a ValueError
        text = str(value).strip().lower()
        if text not in spec.choices:
            raise SettingsError(f"{source}: {name} must be one of {', '.join(spec.choices)}, not {value!r}")
        return text
    try:
        number = spec.type(value)
    except (TypeError, ValueError) as exc:
        raise SettingsError(f"{source}: {name} must be {spec.type.__name__}, not {value!r}") from exc
    if spec.type is float and not math.isfinite(number):  # nan compares false with every bound, inf overflows
        raise SettingsError(f"{source}: {name} must be a finite number, not {value!r}")
    if spec.at_least is not None and number < spec.at_least:
        raise SettingsError(f"{source}: {name} must be at least {spec.at_least:g}, not {value!r}")
    if spec.above is not None and number <= spec.above:
        raise SettingsError(f"{source}: {name} must be more than {spec.above:g}, not {value!r}")
    return number

