"""Account protections: rate limits per account and per IP, shared across workers through Redis."""
import uuid

import pytest
import redis

from civic.ratelimit import RateLimiter
from civic.settings import Settings


def _settings(**overrides) -> Settings:
    return Settings.from_env({}, database_url="sqlite://", data_dir="/tmp", secret_key="x", **overrides)


def test_failures_are_limited_per_account_and_per_ip():
    limiter = RateLimiter(_settings(login_limit="3/minute"))
    for _ in range(3):
        assert limiter.allow_login("13900000001", "10.0.0.1")
        limiter.failed_login("13900000001", "10.0.0.1")
    assert not limiter.allow_login("13900000001", "10.0.0.2")  # the account is locked from any address
    assert limiter.allow_login("13900000002", "10.0.0.3")
    # One address failing on many accounts is stopped too (at five times the per-account limit).
    for i in range(15):
        assert limiter.allow_login(f"139000001{i:02d}", "10.0.0.9")
        limiter.failed_login(f"139000001{i:02d}", "10.0.0.9")
    assert not limiter.allow_login("13900000199", "10.0.0.9")


def test_successful_logins_do_not_count():
    limiter = RateLimiter(_settings(login_limit="3/minute"))
    assert all(limiter.allow_login(f"1390000020{i}", "10.0.0.7") for i in range(30))


def _redis_up() -> bool:
    try:
        return redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


@pytest.mark.skipif(not _redis_up(), reason="Redis at 127.0.0.1:6379 unreachable")
def test_two_workers_share_the_counters_through_redis():
    settings = _settings(login_limit="4/minute", redis_url="redis://127.0.0.1:6379/15")
    first, second = RateLimiter(settings), RateLimiter(settings)  # two processes' limiters, one store
    account = f"1{uuid.uuid4().int % 10**10:010d}"
    first.failed_login(account, "10.1.0.1")
    second.failed_login(account, "10.1.0.2")
    first.failed_login(account, "10.1.0.3")
    assert second.allow_login(account, "10.1.0.4")
    second.failed_login(account, "10.1.0.4")
    assert not first.allow_login(account, "10.1.0.5")
    assert not second.allow_login(account, "10.1.0.6")
    first.reset_account(account)


def test_argon2_parameters_are_the_documented_ones():
    from civic.security import PASSWORDS, hash_password

    hashed = hash_password("a long password")
    assert hashed.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert PASSWORDS.verify("a long password", hashed)
