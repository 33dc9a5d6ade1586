"""The shipped ini files build a working app (a bad setting fails at start-up, naming itself)."""
import os

import pytest
from pyramid.paster import get_appsettings

from openshot_api.app import make_app
from openshot_api.interfaces import ConfigurationError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))


@pytest.fixture
def restore_broker():
    import dramatiq
    from openshot_api import worker
    from openshot_api.broker import use_broker
    broker, context = dramatiq.get_broker(), worker._context
    yield
    use_broker(broker)
    worker.set_context(context)


@pytest.mark.parametrize("ini", ["development.ini", "production.ini"])
def test_the_shipped_ini_files_build_the_app(ini, tmp_path, restore_broker):
    settings = dict(get_appsettings(os.path.join(ROOT, ini), name="main"))
    # Only what would touch this machine's folders, database or broker is redirected.
    settings.update({
        "sqlalchemy.url": f"sqlite:///{tmp_path}/db.sqlite",
        "openshot_api.storage.root": str(tmp_path / "media"),
        "openshot_api.var_dir": str(tmp_path / "var"),
        "openshot_api.work_dir": str(tmp_path / "work"),
        "openshot_api.broker": "embedded",
        "openshot_api.embedded_worker": "false",
    })
    app = make_app({}, settings)
    services = app.registry["services"]
    assert services.storage.name == "local" and services.renderer.name == "libopenshot"
    assert (services.transcriber is not None) == (ini == "development.ini")


def test_a_missing_backend_is_a_configuration_error_naming_the_setting(tmp_path, restore_broker):
    settings = {"sqlalchemy.url": f"sqlite:///{tmp_path}/db.sqlite", "openshot_api.storage": "tape",
                "openshot_api.storage.root": str(tmp_path), "openshot_api.var_dir": str(tmp_path),
                "openshot_api.embedded_worker": "false"}
    with pytest.raises(ConfigurationError, match="openshot_api.storage = tape"):
        make_app({}, settings)
