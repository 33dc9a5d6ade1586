"""Health and version endpoints, without credentials, as load balancers call them."""


def test_the_heartbeat_checks_each_backend_without_credentials(anon):
    answer = anon.get("/__heartbeat__")
    assert answer.json == {"database": True, "broker": True, "storage": True}
    assert answer.headers["Cache-Control"] == "no-cache"
    assert anon.get("/__lbheartbeat__/").json == {}


def test_a_failing_backend_makes_the_heartbeat_503_and_names_it(anon, registry, monkeypatch):
    # Outages of the database and of RabbitMQ are in tests/tasks/test_durability.py.
    monkeypatch.setattr(type(registry["services"].storage), "heartbeat", lambda self: False)
    assert anon.get("/__heartbeat__", status=503).json == {"database": True, "broker": True, "storage": False}


def test_the_version_names_the_package_and_its_version(anon):
    import importlib.metadata
    assert anon.get("/__version__").json == {"name": "openshot-api",
                                             "version": importlib.metadata.version("openshot-api")}
