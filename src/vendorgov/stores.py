"""Where state that is not in the database lives: login sessions, the login rate limit and
caches, through Litestar's stores.

Without VENDORGOV_REDIS_URL they stay on this host, as for one process on one machine:
sessions are files in the data dir, the rate limit and caches are in this process's memory.
With it they live in Redis under "vendorgov:<name>", so every process on every host sees
the same sessions, counts the same login attempts and forgets a revoked token at once.
"""

from __future__ import annotations

from functools import lru_cache

from litestar.stores.base import Store
from litestar.stores.file import FileStore
from litestar.stores.memory import MemoryStore

from vendorgov.settings import Settings, get_settings, private_dir

SESSIONS = "sessions"
RATE_LIMIT = "rate_limit"
# Anonymous survey answers have their own counters: they must not use up the logins' ones.
SURVEY_RATE_LIMIT = "survey_rate_limit"
# Caches the services keep (see cache()); named here so one place lists what is in Redis.
TOKENS = "tokens"


@lru_cache(maxsize=4)
def _redis(url: str):
    # Imported here: a single-host installation never loads the client.
    from redis.asyncio import Redis

    return Redis.from_url(url)


def _redis_store(url: str, name: str) -> Store:
    from litestar.stores.redis import RedisStore

    return RedisStore(_redis(url), namespace=f"vendorgov:{name}")


def app_stores(settings: Settings) -> dict[str, Store]:
    """The stores an application's session and rate-limit middleware use. Local ones are new
    for each application (as the tests build several), Redis ones share a client."""
    if settings.redis_url:
        return {
            name: _redis_store(settings.redis_url, name)
            for name in (SESSIONS, RATE_LIMIT, SURVEY_RATE_LIMIT)
        }
    return {
        SESSIONS: FileStore(private_dir(settings.sessions_dir)),
        RATE_LIMIT: MemoryStore(),
        SURVEY_RATE_LIMIT: MemoryStore(),
    }


@lru_cache(maxsize=8)
def _cache(redis_url: str, name: str) -> Store:
    return _redis_store(redis_url, name) if redis_url else MemoryStore()


def cache(name: str) -> Store:
    """A service's cache: in Redis when configured (shared, so clearing it takes effect on
    every host), else in this process."""
    return _cache(get_settings().redis_url, name)
