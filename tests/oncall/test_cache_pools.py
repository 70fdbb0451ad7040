"""The Redis cache's connections are the process's: under ASGI each request gets a cache object
of its own, and before this every request (every rate-limit check of every alert) opened a new
TCP connection to Redis."""

import json
import shutil
import subprocess
import time

import pytest
import redis
from django.core.cache.backends.redis import RedisCache

from oncall.config.cache import ProcessRedisCache
from tests.webserver import WebServer, free_port, manage, server_env, token_of

URL = "redis://127.0.0.1:6379/9"


def pool_of(cache):
    return cache._cache._get_connection_pool(True)


def test_every_cache_object_of_the_process_shares_one_pool_per_server():
    first, second = ProcessRedisCache(URL, {}), ProcessRedisCache(URL, {})
    assert pool_of(first) is pool_of(second)
    other_db = ProcessRedisCache("redis://127.0.0.1:6379/10", {})
    assert pool_of(other_db) is not pool_of(first)
    # Django's own keeps a pool per cache object: what each request used to open.
    assert pool_of(RedisCache(URL, {})) is not pool_of(RedisCache(URL, {}))


@pytest.fixture
def own_redis(tmp_path):
    """A Redis server of the test's own, so that its count of connections is the web tier's."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("needs redis-server on the PATH (CI has it)")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
    yield url, client
    process.terminate()
    process.wait(10)


def test_alerts_through_the_web_tier_open_no_redis_connection_each(tmp_path, own_redis):
    """The Procfile's web process with Redis as its cache: forty alerts (a rate-limit check
    each) open a handful of connections, not forty."""
    url, redis_server = own_redis
    env = server_env(tmp_path / "plantao.sqlite3", REDIS_URL=url)
    manage(env, "migrate", "--no-input", "-v", "0")
    manage(
        env,
        "shell",
        "-c",
        "from oncall.models import Team; from incidents.models import Service; "
        "Service.objects.create(name='playback', "
        "team=Team.objects.create(name='Platform SRE', slug='platform-sre'))",
    )
    token = token_of(
        manage(env, "integration", "create", "--service", "playback", "--kind", "webhook")
    )
    server = WebServer(env, tmp_path / "web.log")
    try:
        before = redis_server.info("stats")["total_connections_received"]
        for n in range(40):
            body = json.dumps({"title": f"disk {n}", "status": "firing", "dedup_key": f"d{n}"})
            status, _ = server.request(
                "POST",
                f"/integrations/webhook/{token}/",
                body.encode(),
                {"Content-Type": "application/json"},
            )
            assert status == 202, server.output()[-2000:]
        opened = redis_server.info("stats")["total_connections_received"] - before
    finally:
        server.stop()
    assert opened <= 5, f"{opened} Redis connections for 40 alerts"
