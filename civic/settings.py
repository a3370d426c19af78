"""Settings, read once from the environment (CIVIC_*) and passed into create_app."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
HTMX_VERSION = "2.0.11"
HTMX_CDN_URL = f"https://cdn.jsdelivr.net/npm/htmx.org@{HTMX_VERSION}/dist/htmx.min.js"
# Subresource Integrity of htmx.org@2.0.11 dist/htmx.min.js (the npm package and the CDN serve the same bytes).
HTMX_SRI = "sha384-2OatzQy1H+Zd/IIrjr1TcuDGqLXeHhbooAyJY1KdQMKnr4LZ22k31GBLdYKHmVjg"


def _find_dir(name: str) -> Path:
    """templates/ and static/ live beside the package in a checkout (and an editable install)."""
    candidates = [PACKAGE_DIR.parent / name, Path.cwd() / name]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    return candidates[0]


TEMPLATES_DIR = _find_dir("templates")
STATIC_DIR = _find_dir("static")

# Every variable Civic reads, with its meaning; README.md lists them and a test checks it does.
VARIABLES = {
    "CIVIC_DATABASE_URL": "SQLAlchemy URL; default sqlite:///<CIVIC_DATA_DIR>/civic.db",
    "CIVIC_DATA_DIR": "folder for the SQLite database, the generated secret key and uploads; default ./data",
    "CIVIC_SECRET_KEY": "key signing sessions and CSRF tokens; generated into the data folder when unset",
    "CIVIC_HTMX_URL": "where pages load htmx from; default the pinned jsDelivr URL",
    "CIVIC_REDIS_URL": "redis://… to share login rate limits across workers; default in-process memory",
    "CIVIC_HTTPS": "1 when served behind HTTPS: secure cookies and HSTS",
    "CIVIC_DEFAULT_LOCALE": "zh_CN (default) or en",
    "CIVIC_LOGIN_LIMIT": "failed logins allowed per account (an IP may fail 5x as often), e.g. 10/15minutes",
    "CIVIC_SESSION_HOURS": "hours a session lasts without activity; default 12",
    "CIVIC_ASSIST_MINUTES": "minutes an assisted-mode session lasts; default 30",
    "CIVIC_LOG_LEVEL": "logging level; default INFO",
    "CIVIC_PAGE_THREADS": "threads per worker rendering pages (GET) at once; default: none on SQLite (on the event loop), 4 on PostgreSQL",
    "CIVIC_PAGE_CACHE_SECONDS": "longest time an anonymous page is served from the cache (writes invalidate it at once); 0 turns the cache off; default 30",
}


def _secret_key(data_dir: Path) -> str:
    path = data_dir / "secret.key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


@dataclass(frozen=True)
class Settings:
    database_url: str
    data_dir: Path
    secret_key: str
    htmx_url: str = HTMX_CDN_URL
    redis_url: str | None = None
    https: bool = False
    default_locale: str = "zh_CN"
    login_limit: str = "10/15minutes"
    session_hours: int = 12
    assist_minutes: int = 30
    log_level: str = "INFO"
    page_cache_seconds: int = 30
    page_cache_mb: int = 64  # per worker, for whole pages and again for fragments
    page_threads: int | None = None  # None: on the event loop with SQLite, 4 threads with PostgreSQL (page_thread_count)
    access_log: bool = False  # the reverse proxy logs requests; uvicorn's line per request cost ~10 % of a cached page
    templates_dir: Path = field(default=TEMPLATES_DIR)
    static_dir: Path = field(default=STATIC_DIR)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def page_thread_count(self) -> int:
        """Threads a worker renders pages in; 0: right on its event loop. Pages are CPU work under the GIL:
        32 of them in 32 threads of one worker cost a third more CPU each than two at a time, and on SQLite
        even two threads cost more than none — its reads are calls into a local file (tens of microseconds),
        so a thread hands the GIL over and back for nothing (a confirmed ballot's checks took a quarter less
        CPU on the loop). PostgreSQL pages wait on the network to a database on another host: a few threads."""
        if self.page_threads is not None:
            return self.page_threads
        return 0 if self.is_sqlite else 4

    @property
    def htmx_sri(self) -> str:
        return HTMX_SRI

    @classmethod
    def from_env(cls, environ: dict | None = None, **overrides) -> "Settings":
        env = dict(os.environ if environ is None else environ)
        data_dir = Path(env.get("CIVIC_DATA_DIR", "data")).resolve()
        values = dict(
            database_url=env.get("CIVIC_DATABASE_URL") or f"sqlite:///{data_dir / 'civic.db'}",
            data_dir=data_dir,
            secret_key=env.get("CIVIC_SECRET_KEY") or "",
            htmx_url=env.get("CIVIC_HTMX_URL") or HTMX_CDN_URL,
            redis_url=env.get("CIVIC_REDIS_URL") or None,
            https=env.get("CIVIC_HTTPS", "") in ("1", "true", "yes"),
            default_locale=env.get("CIVIC_DEFAULT_LOCALE", "zh_CN"),
            login_limit=env.get("CIVIC_LOGIN_LIMIT", "10/15minutes"),
            session_hours=int(env.get("CIVIC_SESSION_HOURS", "12")),
            assist_minutes=int(env.get("CIVIC_ASSIST_MINUTES", "30")),
            log_level=env.get("CIVIC_LOG_LEVEL", "INFO"),
            page_cache_seconds=int(env.get("CIVIC_PAGE_CACHE_SECONDS", "30")),
            page_cache_mb=int(env.get("CIVIC_PAGE_CACHE_MB", "64")),
            page_threads=int(env["CIVIC_PAGE_THREADS"]) if env.get("CIVIC_PAGE_THREADS", "").strip() else None,
            access_log=env.get("CIVIC_ACCESS_LOG", "") in ("1", "true", "yes"),
        )
        values.update(overrides)
        if not values["secret_key"]:
            values["secret_key"] = _secret_key(Path(values["data_dir"]))
        return cls(**values)
