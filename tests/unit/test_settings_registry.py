"""Declared settings: every ``openshot_api.*`` key is declared by the core or by the plugin that
reads it; start-up refuses unknown keys, wrong values and two plugins offering one backend name;
the environment sets any declared key; ``openshot-api settings`` shows the result."""
import ast
import importlib
import importlib.util
import os
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

from openshot_api import hookimpl
from openshot_api.app import make_app
from openshot_api.interfaces import BackendError, ConfigurationError
from openshot_api.plugins import BACKEND_HOOKS, backends, make_plugin_manager
from openshot_api.services import Services
from openshot_api.settings import SettingsRegistry, read_settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def restore_broker():
    import dramatiq
    from openshot_api import worker
    from openshot_api.broker import use_broker
    broker, context = dramatiq.get_broker(), worker._context
    yield
    use_broker(broker)
    worker.set_context(context)


@pytest.fixture
def no_env(monkeypatch):
    """No OPENSHOT_API_* variable of the machine running the tests leaks in."""
    for name in list(os.environ):
        if name.startswith("OPENSHOT_API_"):
            monkeypatch.delenv(name)


def app_settings(tmp_path, **more):
    return {"sqlalchemy.url": f"sqlite:///{tmp_path}/db.sqlite",
            "openshot_api.storage.root": str(tmp_path / "media"),
            "openshot_api.var_dir": str(tmp_path / "var"),
            "openshot_api.work_dir": str(tmp_path / "work"),
            "openshot_api.embedded_worker": "false", **more}


def close(app):
    app.registry["job_keeper"].stop()
    app.registry["db_engine"].dispose()


def test_a_misspelt_key_stops_start_up_naming_the_closest_key(tmp_path, restore_broker, no_env):
    with pytest.raises(ConfigurationError) as caught:
        make_app({}, app_settings(tmp_path, **{"openshot_api.storge": "s3"}))
    assert "openshot_api.storge" in str(caught.value)
    assert "did you mean openshot_api.storage?" in str(caught.value)
    # A plugin's key too, and every unknown key at once.
    with pytest.raises(ConfigurationError) as caught:
        make_app({}, app_settings(tmp_path, **{"openshot_api.storage.s3.bukcet": "b",
                                                "openshot_api.pagesize": "5"}))
    assert "openshot_api.storage.s3.bukcet: did you mean openshot_api.storage.s3.bucket?" in str(caught.value)
    assert "openshot_api.pagesize: did you mean openshot_api.page_size?" in str(caught.value)
    # A key of a blocked plugin is unknown too, and the message says which plugins are blocked.
    with pytest.raises(ConfigurationError, match=r"openshot_api\.storage\.gcs\.bucket.*storage_gcs"):
        read_settings({"openshot_api.plugins.blocklist": "storage_gcs",
                       "openshot_api.storage.gcs.bucket": "b"}, environ={})
    # Other libraries' keys pass through as they are.
    others = {"sqlalchemy.url": "sqlite://", "pyramid.reload_templates": "false", "tm.attempts": "3",
              "retry.attempts": "3", "someone.elses": "x y"}
    settings = read_settings({**others, "openshot_api.page_size": "9"}, environ={})
    assert {key: settings[key] for key in others} == others
    assert settings.sources["openshot_api.page_size"] == "ini"


def test_an_environment_variable_sets_a_plugin_key_the_ini_does_not_name(tmp_path, monkeypatch,
                                                                          restore_broker, no_env):
    monkeypatch.setenv("OPENSHOT_API_RENDER_THREADS", "3")
    app = make_app({}, app_settings(tmp_path))
    try:
        assert app.registry["services"].renderer.threads == 3
        # Pyramid's copy of the settings, which views and plugins read, has it too.
        assert app.registry.settings["openshot_api.render.threads"] == "3"
    finally:
        close(app)

    from openshot_api_storage_s3 import S3Storage
    settings = read_settings({"openshot_api.storage": "s3"}, environ={
        "OPENSHOT_API_STORAGE_S3_BUCKET": "from-env", "OPENSHOT_API_STORAGE_S3_REGION": "eu-west-3",
        "OPENSHOT_API_STORAGE_S3_URL_EXPIRES": "60", "OPENSHOT_API_STORAGE_S3_CACHE_DIR": str(tmp_path)})
    storage = S3Storage.from_settings(dict(settings))  # a plain copy, as Pyramid keeps
    assert (storage.bucket, storage.url_expires, storage.cache.root) == ("from-env", 60, str(tmp_path))
    assert storage.client.meta.region_name == "eu-west-3"
    assert settings.sources["openshot_api.storage.s3.bucket"] == "env"
    assert settings.value("openshot_api.storage.s3.url_expires") == 60


def test_a_wrong_value_stops_start_up_naming_the_key_and_the_value(tmp_path, restore_broker, no_env):
    with pytest.raises(ConfigurationError, match=r"openshot_api\.page_size = 'lots': must be a whole number"):
        make_app({}, app_settings(tmp_path, **{"openshot_api.page_size": "lots"}))
    with pytest.raises(ConfigurationError,
                       match=r"openshot_api\.storage\.s3\.url_expires = 'soon': must be a whole number "
                             r"\(env\)"):
        read_settings({}, environ={"OPENSHOT_API_STORAGE_S3_URL_EXPIRES": "soon"})
    with pytest.raises(ConfigurationError,
                       match=r"openshot_api\.cookie_secure = 'maybe': must be true or false"):
        read_settings({"openshot_api.cookie_secure": "maybe"}, environ={})
    with pytest.raises(ConfigurationError,
                       match=r"openshot_api\.render\.sandbox = 'chroot': must be one of bwrap, none"):
        read_settings({"openshot_api.render.sandbox": "chroot"}, environ={})
    settings = read_settings({"openshot_api.page_size": " 7 ", "openshot_api.cookie_secure": "yes"}, environ={})
    assert (settings.value("openshot_api.page_size"), settings.value("openshot_api.cookie_secure")) == (7, True)


class OtherLocalStorage:
    name = "local"


@hookimpl
def openshot_api_storage_backends():
    return {"local": OtherLocalStorage}


def clashing_plugin():
    module = types.ModuleType("other_local")
    module.openshot_api_storage_backends = openshot_api_storage_backends
    return module


def test_two_plugins_offering_one_backend_name_stop_start_up_naming_both(tmp_path, monkeypatch,
                                                                          restore_broker, no_env):
    pm = make_plugin_manager()
    pm.register(clashing_plugin(), "other_local")
    expected = (r"plugins (storage_local and other_local|other_local and storage_local) both offer "
                r"the storage backend 'local'")
    with pytest.raises(ConfigurationError, match=expected):
        read_settings({"openshot_api.storage": "local"}, environ={}, plugin_manager=pm)
    with pytest.raises(ConfigurationError, match=expected):
        Services({"openshot_api.storage": "local"}, pm).storage

    # Through make_app: the plugin manager it builds has the second plugin too.
    from openshot_api import plugins
    build = plugins.make_plugin_manager

    def with_clash(blocklist=()):
        made = build(blocklist)
        made.register(clashing_plugin(), "other_local")
        return made
    monkeypatch.setattr(plugins, "make_plugin_manager", with_clash)
    with pytest.raises(ConfigurationError, match=expected):
        make_app({}, app_settings(tmp_path))


def parse_listing(text):
    """``{key: (value, source)}`` and ``{key: help}`` of ``openshot-api settings`` output."""
    values, helps, last = {}, {}, None
    for line in text.splitlines():
        match = re.fullmatch(r"(\S+) = (.*?)  \[(ini|env|default)\]", line)
        if match:
            last = match.group(1)
            values[last] = (match.group(2), match.group(3))
        elif line.startswith("    ") and last:
            helps[last] = line.strip()
    return values, helps


def run_cli(tmp_path, ini_lines, env):
    ini = tmp_path / "site.ini"
    ini.write_text("[app:main]\nuse = egg:openshot-api\n" + "\n".join(ini_lines) + "\n")
    environ = {k: v for k, v in os.environ.items() if not k.startswith("OPENSHOT_API_")}
    return subprocess.run([sys.executable, "-m", "openshot_api.cli", "settings", str(ini)],
                          env={**environ, **env}, capture_output=True, text=True, timeout=120, cwd=tmp_path)


def test_the_settings_command_prints_every_setting_its_source_and_help_with_secrets_masked(tmp_path):
    done = run_cli(tmp_path, [
        "sqlalchemy.url = postgresql://someone:db-password-1@db/x",
        "openshot_api.page_size = 7",
        "openshot_api.session_secret = ini-secret-1234",
        f"openshot_api.storage.root = {tmp_path}",
    ], {"OPENSHOT_API_RENDER_THREADS": "3", "OPENSHOT_API_STORAGE_S3_SECRET_ACCESS_KEY": "env-secret-5678",
        "OPENSHOT_API_PAGE_SIZE": "8"})
    assert done.returncode == 0, done.stderr
    for secret in ("ini-secret-1234", "env-secret-5678", "db-password-1"):
        assert secret not in done.stdout
    values, helps = parse_listing(done.stdout)
    assert values["openshot_api.session_secret"] == ("****", "ini")
    assert values["openshot_api.storage.s3.secret_access_key"] == ("****", "env")
    assert values["openshot_api.page_size"] == ("8", "env")  # the environment beats the ini
    assert values["openshot_api.storage.root"] == (str(tmp_path), "ini")
    assert values["openshot_api.render.threads"] == ("3", "env")
    assert values["openshot_api.max_pixels"] == (str(7680 * 4320), "default")
    assert values["openshot_api.render.cache_mb"] == ("(not set)", "default")
    assert values["sqlalchemy.url"] == ("postgresql://someone:****@db/x", "ini")
    assert helps["openshot_api.page_size"].startswith("Results per page of every list.")
    assert "secret" in helps["openshot_api.session_secret"]
    declared = SettingsRegistry.from_plugin_manager(make_plugin_manager()).settings
    assert set(declared) <= set(values)
    assert all(helps[key] for key in declared)

    done = run_cli(tmp_path, ["openshot_api.storge = s3"], {})
    assert done.returncode == 2
    assert "unknown setting openshot_api.storge: did you mean openshot_api.storage?" in done.stderr


# --- every key any code reads is declared --------------------------------------------------

# Literals that look like keys but are not settings.
NOT_SETTINGS = {"openshot_api.outbox"}  # jobs.py: the session.info key of unsent outbox rows


def sources():
    yield from (ROOT / "openshot_api").rglob("*.py")
    for package in (ROOT / "plugins").glob("*/openshot_api_*"):
        yield from package.rglob("*.py")


def names_code(dotted):
    """True when ``dotted`` is a module or something in one (``openshot_api.errors.x_factory``)."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        name = ".".join(parts[:cut])
        try:
            if importlib.util.find_spec(name) is None:
                continue
        except ModuleNotFoundError:
            continue
        target = importlib.import_module(name)
        try:
            for attr in parts[cut:]:
                target = getattr(target, attr)
        except AttributeError:
            return False
        return True
    return False


def key_literals():
    """Every ``"openshot_api...."`` string in the core's and the plugins' code (docstrings left
    out), with where it is."""
    for path in sources():
        tree = ast.parse(path.read_text(), str(path))
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                      and node.body and isinstance(node.body[0], ast.Expr)
                      and isinstance(node.body[0].value, ast.Constant)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and id(node) not in docstrings \
                    and re.fullmatch(r"openshot_api\.[A-Za-z0-9_.-]+", node.value):
                yield node.value, f"{path.relative_to(ROOT)}:{node.lineno}"


class Recording(dict):
    """Settings that note every key asked for."""

    def __init__(self, data, seen):
        super().__init__(data)
        self.seen = seen

    def get(self, key, default=None):
        self.seen.add(key)
        return super().get(key, default)

    def __getitem__(self, key):
        self.seen.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self.seen.add(key)
        return super().__contains__(key)


def keys_read_by_plugins(tmp_path):
    """Build every backend of every installed plugin from settings that take each branch of its
    ``from_settings`` (connection string or account key, emulator or key file ...), noting each key
    read, prefixed ones included."""
    pm = make_plugin_manager()
    s3, azure, gcs = "openshot_api.storage.s3.", "openshot_api.storage.azure.", "openshot_api.storage.gcs."
    common = {"openshot_api.storage.root": str(tmp_path / "media"), "openshot_api.render.sandbox": "none",
              s3 + "bucket": "b", s3 + "cache_dir": str(tmp_path / "s3"), azure + "container": "c",
              azure + "cache_dir": str(tmp_path / "azure"), gcs + "bucket": "b",
              gcs + "cache_dir": str(tmp_path / "gcs")}
    variants = [
        {},
        {**common, gcs + "emulator_host": "127.0.0.1:1",
         azure + "connection_string": "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
                                     "AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:1/devstoreaccount1;"},
        {**common, azure + "account_name": "devstoreaccount1", azure + "account_key": "a2V5",
         gcs + "credentials_file": str(tmp_path / "missing.json")},
    ]
    seen = set()
    for hook in BACKEND_HOOKS:
        for cls in backends(pm, hook).values():
            for variant in variants:
                try:
                    cls.from_settings(Recording(variant, seen))
                except (ConfigurationError, BackendError):
                    pass  # the keys asked for before the refusal are noted all the same
    from openshot_api_titles.fonts import fonts_dir
    fonts_dir(Recording({}, seen))
    return seen


def test_every_key_the_code_reads_is_declared(tmp_path, monkeypatch):
    monkeypatch.setenv("NO_GCE_CHECK", "True")  # no metadata server is asked for credentials
    declared = SettingsRegistry.from_plugin_manager(make_plugin_manager()).settings
    undeclared = []
    for literal, where in key_literals():
        # A prefix ("openshot_api.storage.s3.") is completed by its reader: those reads are
        # noted below, where the plugins are built.
        if not literal.endswith(".") and literal not in declared and literal not in NOT_SETTINGS \
                and not names_code(literal):
            undeclared.append(f"{where}: {literal}")
    for key in sorted(keys_read_by_plugins(tmp_path)):
        if key.startswith("openshot_api.") and key not in declared:
            undeclared.append(f"read by a plugin's from_settings: {key}")
    assert not undeclared, "\n".join(undeclared)
    assert all(setting.help for setting in declared.values())
