"""Configuration: safe defaults, everything overridable from the environment."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def normalise_database_url(url: str) -> str:
    """Accept postgres://, postgresql:// and postgresql+psycopg:// and always use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _secret_key(instance_path: Path, production: bool) -> str:
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if production:
        raise RuntimeError("SECRET_KEY must be set when SCIVISIT_ENV=production")
    # Development: create one random key and keep it, so sessions survive restarts.
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def from_environment(instance_path: Path) -> dict:
    """Build the configuration mapping from environment variables."""
    env = os.environ
    production = env.get("SCIVISIT_ENV", "development") == "production"
    default_db = "sqlite:///" + str(instance_path / "scivisit.sqlite3")
    database_url = normalise_database_url(env.get("DATABASE_URL", default_db))
    unprepared = database_url.startswith("postgresql") and not _bool(env.get("DATABASE_PREPARED_STATEMENTS"), True)
    return {
        "ENV_NAME": "production" if production else "development",
        "PRODUCTION": production,
        "DEBUG": False,
        "PROPAGATE_EXCEPTIONS": False,
        "SECRET_KEY": _secret_key(instance_path, production),
        "SQLALCHEMY_DATABASE_URI": database_url,
        #: a connection idle for a while is checked before use (core.db.check_idle_connections), not every one;
        #: psycopg prepares statements unless told not to (for a pooler that cannot keep them)
        "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"prepare_threshold": None}} if unprepared else {},
        #: bytes; a longer request body is refused (413) rather than read whole
        "MAX_CONTENT_LENGTH": int(env.get("MAX_CONTENT_LENGTH", str(1024 * 1024))),
        #: links in mail and QR codes; by default the address `make run` serves (PORT=8000 make run: port 8000)
        "BASE_URL": env.get("BASE_URL") or f"http://127.0.0.1:{env.get('PORT') or '5000'}",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE"), production),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE"), production),
        "WTF_CSRF_TIME_LIMIT": None,
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_ENABLED": _bool(env.get("RATELIMIT_ENABLED"), True),
        "RATELIMIT_HEADERS_ENABLED": True,
        #: when the shared store (Redis) is unreachable, keep limiting in this process's memory, log it
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        #: a Redis the server's processes share answers through (feeds' change stamps and bodies); none: no cache
        "CACHE_REDIS_URL": env.get("CACHE_REDIS_URL") or None,
        #: the start of every key the cache writes, so that several installations can share one Redis
        "CACHE_KEY_PREFIX": env.get("CACHE_KEY_PREFIX", "scivisit"),
        #: seconds browsers keep to HTTPS after a production response (Strict-Transport-Security)
        "HSTS_MAX_AGE": int(env.get("HSTS_MAX_AGE", str(365 * 24 * 3600))),
        #: how many reverse proxies (nginx, a load balancer) sit in front and set X-Forwarded-*
        "TRUSTED_PROXIES": int(env.get("TRUSTED_PROXIES", "0")),
        "MAIL_BACKEND": env.get("MAIL_BACKEND", "smtp" if production else "console"),
        "MAIL_SERVER": env.get("MAIL_SERVER", "127.0.0.1"),
        "MAIL_PORT": int(env.get("MAIL_PORT", "25")),
        "MAIL_USERNAME": env.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD") or None,
        "MAIL_USE_TLS": _bool(env.get("MAIL_USE_TLS"), False),
        "MAIL_DEFAULT_SENDER": env.get("MAIL_DEFAULT_SENDER", "SciVisit <noreply@scivisit.local>"),
        #: tries per message before it stays failed (waiting 2, 4, 8 ... minutes between them, about 4 hours
        #: in all at 8); a failed message is listed on /admin/outbox, where it can be tried again
        "MAIL_MAX_ATTEMPTS": max(1, int(env.get("MAIL_MAX_ATTEMPTS", "8"))),
        #: deliver the outbox from a thread inside the web process (development convenience)
        "MAIL_WORKER_THREAD": _bool(env.get("MAIL_WORKER_THREAD"), False),
        "INVITATION_TTL_HOURS": int(env.get("INVITATION_TTL_HOURS", "168")),
        "PASSWORD_RESET_TTL_MINUTES": int(env.get("PASSWORD_RESET_TTL_MINUTES", "60")),
        #: how long the link that confirms a registration with a join code works
        "REGISTRATION_TTL_HOURS": int(env.get("REGISTRATION_TTL_HOURS", "48")),
        "LOGIN_LIMIT_PER_IP": env.get("LOGIN_LIMIT_PER_IP", "20 per minute"),
        "LOGIN_LIMIT_PER_ACCOUNT": env.get("LOGIN_LIMIT_PER_ACCOUNT", "5 per minute"),
        "PAGE_SIZE": int(env.get("PAGE_SIZE", "20")),
        #: how volunteers reach the programme office (shown when they can no longer cancel themselves)
        "PROGRAMME_CONTACT": env.get("PROGRAMME_CONTACT", "SciVisit programme office, office@scivisit.local"),
        #: hours before a visit at which confirmed volunteers get a reminder
        "REMINDER_HOURS": [int(h) for h in env.get("REMINDER_HOURS", "48,3").split(",") if h.strip()],
        #: werkzeug's method string; tests use a fast one, everything else the scrypt default
        "PASSWORD_HASH_METHOD": env.get("PASSWORD_HASH_METHOD", "scrypt"),
        #: the app's clock (`core.timeutil.now`): None is the wall clock; the tests set a callable
        #: returning an aware UTC datetime, so requests, commands and row timestamps share their time
        "CLOCK": None,
    }
