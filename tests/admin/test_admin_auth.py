"""Admin users, login throttling and the production secret, without a browser."""

import pytest

from registry.admin.auth import LoginThrottle
from registry.app import create_app
from registry.config import Environment, Settings
from registry.services import ServiceError, admin_users
from tests.conftest import app_settings, asgi_client


def test_throttle_waits_after_the_free_failures_and_doubles():
    throttle = LoginThrottle(free=2, max_wait=60)
    keys = [("user", "alice"), ("address", "10.0.0.1")]
    throttle.failed(keys, now=0)
    assert throttle.wait_left(keys, now=0) == 0
    throttle.failed(keys, now=0)
    assert throttle.wait_left(keys, now=0) == 2
    throttle.failed(keys, now=0)
    assert throttle.wait_left(keys, now=0) == 4
    assert throttle.wait_left([("address", "10.0.0.1")], now=4) == 0


def test_throttle_forgets_the_oldest_past_its_capacity():
    throttle = LoginThrottle(free=1, max_wait=60, capacity=3)
    for n in range(10):  # an attacker with many addresses
        throttle.failed([("address", f"10.0.0.{n}")], now=0)
    assert len(throttle._failures) == 3
    assert throttle.wait_left([("address", "10.0.0.9")], now=0) > 0


def test_production_refuses_the_default_admin_secret(database_url):
    with pytest.raises(RuntimeError, match="REGISTRY_ADMIN_SECRET"):
        create_app(Settings(database_url=database_url, env=Environment.PRODUCTION))
    create_app(Settings(database_url=database_url, env=Environment.PRODUCTION, admin_secret="s" * 40))


async def test_admin_users_refuse_bad_input_and_disabled_users_cannot_log_in(sessions):
    async with sessions() as session, session.begin():
        with pytest.raises(ServiceError, match="password"):
            await admin_users.create_admin_user(session, "alice", "short")
        with pytest.raises(ServiceError, match="username"):
            await admin_users.create_admin_user(session, "no spaces please", "a long enough password")
        await admin_users.create_admin_user(session, "alice", "a long enough password")
    async with sessions() as session, session.begin():
        assert await admin_users.check_login(session, "alice", "wrong password here") is None
        assert (await admin_users.check_login(session, "alice", "a long enough password")).username == "alice"
        assert await admin_users.check_login(session, "alice", "x" * 100_000) is None  # abusive length
        await admin_users.disable_admin_user(session, "alice")
    async with sessions() as session, session.begin():
        assert await admin_users.check_login(session, "alice", "a long enough password") is None


async def test_repeated_failed_logins_are_slowed_down(database_url, sessions):
    async with sessions() as session, session.begin():
        await admin_users.create_admin_user(session, "bob", "a long enough password")
    async for client in asgi_client(app_settings(database_url, admin_login_free_failures=2)):
        login = await client.get("/admin/login")
        token = login.cookies["registry_admin_csrf"]
        statuses = []
        for _ in range(3):
            answer = await client.post("/admin/login", data={"username": "bob", "password": "wrong one, wrong one",
                                                             "csrf_token": token})
            statuses.append(answer.status_code)
        assert statuses == [400, 400, 429]
        # the right password waits too: the wait is not a way to test passwords
        answer = await client.post("/admin/login", data={"username": "bob", "password": "a long enough password",
                                                         "csrf_token": token})
        assert answer.status_code == 429
        session_cookie = [c for c in answer.headers.get_list("set-cookie") if "registry_admin_session" in c]
        assert session_cookie == []


async def test_session_cookie_is_httponly_strict_and_csrf_guards_login(database_url, sessions):
    async with sessions() as session, session.begin():
        await admin_users.create_admin_user(session, "carol", "a long enough password")
    async for client in asgi_client(app_settings(database_url)):
        await client.get("/admin/login")
        forged = await client.post("/admin/login", data={"username": "carol", "password": "a long enough password"})
        assert forged.status_code == 403
        token = client.cookies["registry_admin_csrf"]
        answer = await client.post("/admin/login", data={"username": "carol", "password": "a long enough password",
                                                         "csrf_token": token})
        assert answer.status_code == 302
        cookie = next(c for c in answer.headers.get_list("set-cookie") if "registry_admin_session" in c).lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and "secure" not in cookie
        assert (await client.get("/admin/")).status_code == 200
