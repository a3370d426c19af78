"""Login rate limits per account and per IP, with the `limits` library.

In-process memory by default; CIVIC_REDIS_URL shares the counters across workers and hosts.
"""
from __future__ import annotations

from limits import parse, storage, strategies


class RateLimiter:
    def __init__(self, settings):
        uri = settings.redis_url or "memory://"
        self.storage = storage.storage_from_string(uri)
        self.strategy = strategies.MovingWindowRateLimiter(self.storage)
        self.login_limit = parse(settings.login_limit)

    def allow_login(self, account: str, ip: str) -> bool:
        """Counts the attempt; False when either the account or the address is over the limit."""
        keys = [("login-account", account.strip().upper()), ("login-ip", ip)]
        if not all(self.strategy.test(self.login_limit, *key) for key in keys):
            return False
        return all([self.strategy.hit(self.login_limit, *key) for key in keys])

    def reset_account(self, account: str) -> None:
        self.strategy.clear(self.login_limit, "login-account", account.strip().upper())
