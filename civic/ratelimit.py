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
        # An address may fail five times as often as one account (many residents share a router).
        self.ip_limit = parse(f"{self.login_limit.amount * 5}/{self.login_limit.multiples}{self.login_limit.GRANULARITY.name}")

    def allow_login(self, account: str, ip: str) -> bool:
        """False when the account, or the address, has had too many failed attempts lately."""
        return self.strategy.test(self.login_limit, "login-account", account.strip().upper()) and self.strategy.test(
            self.ip_limit, "login-ip", ip)

    def failed_login(self, account: str, ip: str) -> None:
        """Only failures count: a meeting room of representatives behind one router can all log in."""
        self.strategy.hit(self.login_limit, "login-account", account.strip().upper())
        self.strategy.hit(self.ip_limit, "login-ip", ip)

    def reset_account(self, account: str) -> None:
        self.strategy.clear(self.login_limit, "login-account", account.strip().upper())
