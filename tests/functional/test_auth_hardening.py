"""Issue 12, authentication: refusals cost the same whether the user exists, failed logins are
throttled per username and per address on every way in (shared through the database), sessions
end on the server at logout, on a password change and by an admin, and the user is looked up once
per request.

The apps here have their own database (SQLite and PostgreSQL) and small limits, so the failures
they count never reach the suite's shared app."""
import itertools
import re
import statistics
import time
import uuid

import pytest
import transaction
import webtest
from sqlalchemy import event, text

from openshot_api.app import make_app
from tests.conftest import _postgres_url, base_settings, basic

MAX_PER_USER = 3
MAX_PER_ADDRESS = 5
WINDOW = 300
_addresses = itertools.count(1)


def new_address():
    """An address no other test uses, so each test starts with clean per-address counts."""
    n = next(_addresses)
    return f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database(request, tmp_path_factory):
    from openshot_api.cli import initdb
    tmp = tmp_path_factory.mktemp("auth-" + request.param)
    if request.param == "sqlite":
        url, drop = f"sqlite:///{tmp}/auth.sqlite", None
    else:
        url, drop = _postgres_url()
        if url is None:
            pytest.skip("PostgreSQL is not running (CI=true makes this a failure)")
    settings = base_settings(tmp, url)
    initdb(dict(settings))
    yield settings
    if drop:
        drop()


@pytest.fixture(scope="module")
def app_on(database):
    """``app_on(**settings)``: an app on the module's database (one per set of settings); the
    broker and worker context of the suite are left as they were."""
    import dramatiq
    from openshot_api import worker as worker_module
    from openshot_api.broker import use_broker
    apps = {}

    def build(**overrides):
        settings = {"openshot_api.auth_max_failures": str(MAX_PER_USER),
                    "openshot_api.auth_max_failures_per_address": str(MAX_PER_ADDRESS),
                    "openshot_api.auth_failure_window": str(WINDOW)}
        settings.update(overrides)
        key = tuple(sorted(settings.items()))
        if key not in apps:
            previous_broker, previous_context = dramatiq.get_broker(), worker_module._context
            apps[key] = make_app({}, {**database, **settings})
            use_broker(previous_broker)
            worker_module.set_context(previous_context)
        return apps[key]
    yield build
    for app in apps.values():
        keeper = app.registry.get("job_keeper")
        if keeper is not None:  # each app relays its outbox from a thread of its own
            keeper.stop()
        app.registry["db_engine"].dispose()


@pytest.fixture
def app(app_on):
    return app_on()


def create_user(app, is_admin=False):
    from openshot_api.auth import create_user as create
    from openshot_api.db import get_tm_session
    username, password = f"hard-{uuid.uuid4().hex[:8]}", "pw-" + uuid.uuid4().hex[:8]
    tm = transaction.TransactionManager(explicit=True)
    with tm:
        user = create(get_tm_session(app.registry["dbsession_factory"], tm), username, password, is_admin=is_admin)
        token = user.token.key
    return username, password, token


def client(app, address=None, **environ):
    return webtest.TestApp(app, extra_environ={"HTTP_HOST": "testserver",
                                               "REMOTE_ADDR": address or new_address(), **environ})


def csrf_of(page):
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def try_basic(app, address, username, password):
    return client(app, address).get("/projects/", headers={"Authorization": basic(username, password)},
                                     expect_errors=True)


def try_tokens(app, address, username, password):
    return client(app, address).post_json("/tokens/", {"username": username, "password": password},
                                          expect_errors=True)


def try_form(app, address, username, password, browser=None):
    browser = browser or client(app, address)
    token = csrf_of(browser.get("/api-auth/login/"))
    return browser.post("/api-auth/login/", {"username": username, "password": password, "csrf_token": token},
                        expect_errors=True)


WAYS = {"basic": (try_basic, 200, 401), "tokens": (try_tokens, 200, 400), "form": (try_form, 302, 200)}


def run_sql(app, sql, **params):
    with app.registry["db_engine"].begin() as conn:
        return conn.execute(text(sql), params).fetchall() if sql.lstrip().upper().startswith("SELECT") \
            else conn.execute(text(sql), params)


def log_in(app, username, password, address=None):
    """A browser holding a fresh session of ``username``."""
    browser = client(app, address)
    assert try_form(app, None, username, password, browser=browser).status_int == 302
    return browser


# -- the same cost for every refusal ------------------------------------------------------------

@pytest.mark.parametrize("way", list(WAYS))
def test_a_wrong_password_costs_the_same_whether_the_user_exists_or_not(app_on, way):
    # Limits high enough that no attempt here is throttled: only the password check is timed.
    app = app_on(**{"openshot_api.auth_max_failures": "1000", "openshot_api.auth_max_failures_per_address": "1000"})
    attempt, _ok, refused = WAYS[way]
    username, _password, _ = create_user(app)
    unknown = "nobody-" + uuid.uuid4().hex[:8]
    address = new_address()
    attempt(app, address, username, "warm-up")
    attempt(app, address, unknown, "warm-up")
    times = {"existing": [], "unknown": []}
    for n in range(15):
        # Back to back, in turns, so a load that comes and goes weighs on both alike.
        pair = [("existing", username), ("unknown", unknown)]
        for kind, name in (pair if n % 2 else pair[::-1]):
            browser = client(app, address)
            token = csrf_of(browser.get("/api-auth/login/")) if way == "form" else None
            started = time.perf_counter()
            if way == "form":
                response = browser.post("/api-auth/login/", {"username": name, "password": "wrong",
                                                             "csrf_token": token}, expect_errors=True)
            else:
                response = attempt(app, address, name, "wrong")
            times[kind].append(time.perf_counter() - started)
            assert response.status_int == refused, response
    existing, missing = statistics.median(times["existing"]), statistics.median(times["unknown"])
    ratio = statistics.median(u / e for e, u in zip(times["existing"], times["unknown"]))
    print(f"\n{way}: median refusal {existing * 1000:.1f} ms for an existing user, "
          f"{missing * 1000:.1f} ms for an unknown one (median ratio of pairs {ratio:.2f})")
    # Before: 2 ms against 20-65 ms (ratio 0.03-0.10). A wide band, for a loaded two-core machine.
    assert 0.5 <= ratio <= 2.0


# -- throttling ---------------------------------------------------------------------------------

@pytest.mark.parametrize("way", list(WAYS))
def test_after_too_many_failures_a_username_gets_429_until_its_window_ends(app, way):
    attempt, ok, refused = WAYS[way]
    username, password, _ = create_user(app)
    address = new_address()
    for _ in range(MAX_PER_USER):
        assert attempt(app, address, username, "wrong").status_int == refused

    # The username is locked out wherever the right password comes from.
    locked = attempt(app, new_address(), username, password)
    assert locked.status_int == 429
    assert 0 < int(locked.headers["Retry-After"]) <= WINDOW
    if way == "form":
        assert locked.content_type == "text/html" and "Too many failed logins" in locked.text
    else:
        assert locked.json["detail"].startswith("Request was throttled.")

    # Another user from the same address is not affected (the address is below its own limit).
    other, other_password, _ = create_user(app)
    assert attempt(app, address, other, other_password).status_int == ok
    # Every way in shares the username's count.
    for other_way, (other_attempt, _, _) in WAYS.items():
        assert other_attempt(app, new_address(), username, password).status_int == 429, other_way

    # The window passes (moved back rather than waited for): the right password works again.
    run_sql(app, "UPDATE auth_throttle SET window_start = window_start - :w", w=WINDOW + 1)
    assert attempt(app, new_address(), username, password).status_int == ok


def test_a_new_window_counts_from_one_again(app):
    username, password, _ = create_user(app)
    for _ in range(MAX_PER_USER):
        try_basic(app, new_address(), username, "wrong")
    run_sql(app, "UPDATE auth_throttle SET window_start = window_start - :w", w=WINDOW + 1)
    for _ in range(MAX_PER_USER - 1):
        assert try_basic(app, new_address(), username, "wrong").status_int == 401
    assert try_basic(app, new_address(), username, password).status_int == 200
    # The limit is met again only by as many failures in the new window.
    assert try_basic(app, new_address(), username, "wrong").status_int == 401
    assert try_basic(app, new_address(), username, password).status_int == 429


def test_one_address_trying_many_usernames_is_throttled(app):
    address = new_address()
    victim, victim_password, victim_token = create_user(app)
    for n in range(MAX_PER_ADDRESS):
        assert try_basic(app, address, f"guess-{n}-{uuid.uuid4().hex[:6]}", "wrong").status_int == 401
    for attempt, _ok, _refused in WAYS.values():
        assert attempt(app, address, victim, victim_password).status_int == 429
    # Wrong tokens and broken Basic headers from that address are throttled too...
    browser = client(app, address)
    assert browser.get("/projects/", headers={"Authorization": "Token nope"}, status=429).headers["Retry-After"]
    browser.get("/projects/", headers={"Authorization": "Basic %%%"}, status=429)
    # ...but a right token is no guess and keeps working; other addresses are unaffected.
    browser.get("/projects/", headers={"Authorization": f"Token {victim_token}"}, status=200)
    assert try_basic(app, new_address(), victim, victim_password).status_int == 200


def test_wrong_tokens_count_against_the_address(app):
    address = new_address()
    browser = client(app, address)
    for _ in range(MAX_PER_ADDRESS):
        browser.get("/projects/", headers={"Authorization": "Token " + uuid.uuid4().hex}, status=401)
    browser.get("/projects/", headers={"Authorization": "Token " + uuid.uuid4().hex}, status=429)
    username, password, _ = create_user(app)
    assert try_basic(app, address, username, password).status_int == 429


def test_behind_a_trusted_proxy_the_address_is_the_one_the_proxy_appended(app_on):
    app = app_on(**{"openshot_api.trusted_proxy": "true"})
    proxy, client_address = new_address(), new_address()
    for n in range(MAX_PER_ADDRESS):
        # The client forges the first entry each time; the proxy's entry (the last) is the same.
        browser = client(app, proxy, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, {client_address}")
        browser.get("/projects/", headers={"Authorization": "Token nope"}, status=401)
    forged = client(app, proxy, HTTP_X_FORWARDED_FOR=f"192.0.2.99, {client_address}")
    forged.get("/projects/", headers={"Authorization": "Token nope"}, status=429)
    # Another client behind the same proxy is not locked out.
    client(app, proxy, HTTP_X_FORWARDED_FOR=new_address()).get(
        "/projects/", headers={"Authorization": "Token nope"}, status=401)


def test_without_a_trusted_proxy_x_forwarded_for_is_ignored(app):
    address = new_address()
    for n in range(MAX_PER_ADDRESS):
        client(app, address, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}").get(
            "/projects/", headers={"Authorization": "Token nope"}, status=401)
    client(app, address, HTTP_X_FORWARDED_FOR="192.0.2.200").get(
        "/projects/", headers={"Authorization": "Token nope"}, status=429)


def test_right_passwords_are_never_counted_or_slowed(app):
    username, password, _ = create_user(app)
    address = new_address()
    before = run_sql(app, "SELECT COUNT(*) FROM auth_throttle")[0][0]
    for _ in range(3 * MAX_PER_ADDRESS):
        assert try_basic(app, address, username, password).status_int == 200
        assert try_tokens(app, address, username, password).status_int == 200
    assert try_form(app, address, username, password).status_int == 302
    assert run_sql(app, "SELECT COUNT(*) FROM auth_throttle")[0][0] == before
    # Nor do they reset anything: the limit still counts failures alone.
    for _ in range(MAX_PER_USER):
        assert try_basic(app, address, username, "wrong").status_int == 401
    assert try_basic(app, address, username, password).status_int == 429


def test_an_ipv6_client_counts_as_its_64(app):
    # Handing out addresses within one /64 is free to whoever holds it.
    for n in range(MAX_PER_ADDRESS):
        client(app, f"2001:db8:0:7::{n + 1:x}").get("/projects/", headers={"Authorization": "Token nope"},
                                                      status=401)
    client(app, "2001:db8:0:7:ffff::1").get("/projects/", headers={"Authorization": "Token nope"}, status=429)
    client(app, "2001:db8:0:8::1").get("/projects/", headers={"Authorization": "Token nope"}, status=401)


def test_each_key_is_one_row_and_expired_rows_are_pruned(app):
    throttle = app.registry["auth_throttle"]
    username, _password, _ = create_user(app)
    address = new_address()
    for _ in range(MAX_PER_USER - 1):
        try_basic(app, address, username, "wrong")
    rows = run_sql(app, "SELECT failures FROM auth_throttle WHERE window_start > :t", t=time.time() - 60)
    # Other tests' rows may be there; ours are one for the username, one for the address.
    assert sorted(r[0] for r in rows).count(MAX_PER_USER - 1) >= 2
    run_sql(app, "INSERT INTO auth_throttle (key, window_start, failures) VALUES ('old', :t, 4)",
            t=time.time() - WINDOW - 5)
    throttle._next_prune = 0  # pruning runs at most once a minute per process; run it now
    try_basic(app, new_address(), "someone-" + uuid.uuid4().hex[:6], "wrong")
    assert run_sql(app, "SELECT key FROM auth_throttle WHERE key = 'old'") == []
    assert run_sql(app, "SELECT COUNT(*) FROM auth_throttle WHERE window_start <= :t",
                   t=time.time() - WINDOW)[0][0] == 0


def test_two_servers_on_one_database_share_the_counts(app_on):
    first = app_on()
    # Another process (its own engine and settings object) on the same database.
    second = app_on(**{"openshot_api.page_size": "6"})
    assert first.registry["db_engine"] is not second.registry["db_engine"]
    username, password, _ = create_user(first)
    for n in range(MAX_PER_USER):
        server = (first, second)[n % 2]
        assert try_basic(server, new_address(), username, "wrong").status_int == 401
    assert try_basic(first, new_address(), username, password).status_int == 429
    assert try_tokens(second, new_address(), username, password).status_int == 429


def test_a_nul_in_a_username_or_token_is_refused_not_a_server_error(app):
    # PostgreSQL refuses NUL in a query; such a name or token cannot exist.
    address = new_address()
    assert try_basic(app, address, "a\0b", "pw").status_int == 401
    assert try_tokens(app, address, "a\0b", "pw").status_int == 400
    assert try_form(app, address, "a\0b", "pw").status_int == 200
    client(app, address).get("/projects/", headers={"Authorization": "Token a\0b"}, status=401)


# -- sessions end on the server ------------------------------------------------------------------

def test_a_session_cookie_copied_before_logout_stops_working(app):
    username, password, _ = create_user(app)
    browser = log_in(app, username, password)
    cookie = browser.cookies["sessionid"]
    thief = client(app)
    thief.set_cookie("sessionid", cookie)
    assert thief.get("/projects/").status_int == 200
    other_browser = log_in(app, username, password)

    token = csrf_of(browser.get("/api-auth/logout/", headers={"Accept": "text/html"}))
    assert browser.post("/api-auth/logout/", {"csrf_token": token}).status_int == 302

    thief.get("/projects/", status=401)
    other_browser.get("/projects/", status=401)
    # A browser is sent to log in again; a new login works.
    assert "/api-auth/login/" in thief.get("/projects/", headers={"Accept": "text/html"}, status=302).location
    log_in(app, username, password).get("/projects/", status=200)


def test_a_get_never_logs_out(app):
    username, password, _ = create_user(app)
    browser = log_in(app, username, password)
    page = browser.get("/api-auth/logout/", headers={"Accept": "text/html"})
    assert page.status_int == 200 and page.forms[0].method.lower() == "post"
    refused = browser.get("/api-auth/logout/", headers={"Accept": "application/json"}, status=405)
    assert refused.headers["Allow"] == "POST"
    browser.get("/projects/", status=200)
    # Neither does a forged POST (no CSRF token): JSON 403 for a client, the form again for a browser.
    browser.post("/api-auth/logout/", status=403)
    browser.post("/api-auth/logout/", {"csrf_token": "forged"}, headers={"Accept": "text/html"}, status=403)
    browser.get("/projects/", status=200)
    # The confirmation page's own form does.
    assert page.forms[0].submit().status_int == 302
    browser.get("/projects/", status=401)


def test_the_admin_pages_log_out_with_a_post_form(app):
    username, password, _ = create_user(app, is_admin=True)
    admin = log_in(app, username, password)
    for path in ("/cloud-admin/auth/user/", "/cloud-admin/authtoken/token/"):
        page = admin.get(path)
        [form] = [f for f in page.forms.values() if f.action.endswith("/api-auth/logout/")]
        assert form.method.lower() == "post"
    assert form.submit().status_int == 302
    admin.get("/cloud-admin/auth/user/", headers={"Accept": "application/json"}, status=401)


def _admin_action(app, admin, user_id, action, **fields):
    page = admin.get("/cloud-admin/auth/user/")
    for form in page.forms.values():
        if form.fields.get("action") and form["action"].value == action and form["user_id"].value == str(user_id):
            for name, value in fields.items():
                form[name] = value
            return form.submit()
    raise AssertionError(f"no {action} form for user {user_id}")


def _user_id(app, username):
    return run_sql(app, "SELECT id FROM users WHERE username = :u", u=username)[0][0]


def test_an_admin_ends_a_users_sessions(app):
    admin_name, admin_password, _ = create_user(app, is_admin=True)
    admin = client(app)
    admin.authorization = ("Basic", (admin_name, admin_password))
    username, password, token = create_user(app)
    browsers = [log_in(app, username, password) for _ in range(2)]
    page = _admin_action(app, admin, _user_id(app, username), "end_sessions")
    assert f"Sessions of {username} ended." in page.text
    for browser in browsers:
        browser.get("/projects/", status=401)
    # Their password and token are theirs still; a new login works.
    client(app).get("/projects/", headers={"Authorization": f"Token {token}"}, status=200)
    log_in(app, username, password).get("/projects/", status=200)


def test_a_new_password_ends_the_users_sessions(app):
    admin_name, admin_password, _ = create_user(app, is_admin=True)
    admin = client(app)
    admin.authorization = ("Basic", (admin_name, admin_password))
    username, password, _ = create_user(app)
    browser = log_in(app, username, password)
    page = _admin_action(app, admin, _user_id(app, username), "set_password", password="new-secret-1")
    assert f"Password of {username} set" in page.text
    browser.get("/projects/", status=401)
    address = new_address()
    assert try_basic(app, address, username, password).status_int == 401
    assert try_basic(app, address, username, "new-secret-1").status_int == 200


def test_a_disabled_users_session_ends(app):
    admin_name, admin_password, _ = create_user(app, is_admin=True)
    admin = client(app)
    admin.authorization = ("Basic", (admin_name, admin_password))
    username, password, _ = create_user(app)
    browser = log_in(app, username, password)
    _admin_action(app, admin, _user_id(app, username), "disable")
    browser.get("/projects/", status=401)


@pytest.mark.parametrize("user_id", ["abc", "", "1e3", "\u0663", str(2 ** 63), "-1"])
def test_admin_forms_naming_no_user_say_so(app, user_id):
    """A hand-made user_id (was a 500 for anything but digits) names no user."""
    admin_name, admin_password, _ = create_user(app, is_admin=True)
    admin = log_in(app, admin_name, admin_password)
    for path, action in (("/cloud-admin/auth/user/", "disable"), ("/cloud-admin/auth/user/", "end_sessions"),
                         ("/cloud-admin/authtoken/token/", None)):
        form = admin.get(path).forms[1] if action is None else next(
            f for f in admin.get(path).forms.values() if f.fields.get("action") and f["action"].value == action)
        fields = {"csrf_token": form["csrf_token"].value, "user_id": user_id}
        if action:
            fields["action"] = action
        page = admin.post(path, fields, status=200)
        assert "No such user." in page.text


# -- one lookup per request ----------------------------------------------------------------------

@pytest.mark.parametrize("way", ["basic", "token", "session"])
def test_the_user_is_looked_up_once_per_request(app, way, monkeypatch):
    from openshot_api.auth import SecurityPolicy
    username, password, token = create_user(app)
    browser = log_in(app, username, password) if way == "session" else client(app)
    headers = {"basic": {"Authorization": basic(username, password)},
               "token": {"Authorization": f"Token {token}"},
               "session": {"X-CSRF-Token": csrf_of(browser.get("/api-auth/login/"))}
               }[way]
    lookups, statements = [], []
    original = SecurityPolicy._identity

    def counted(self, request):
        lookups.append(request.path)
        return original(self, request)
    monkeypatch.setattr(SecurityPolicy, "_identity", counted)

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)
    engine = app.registry["db_engine"]
    event.listen(engine, "before_cursor_execute", count)
    try:
        # A create: permits(), the view and the serializer each read request.identity.
        browser.post_json("/projects/", {"name": "once"}, headers=headers, status=201)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    user_queries = [s for s in statements if re.search(r"FROM (users|tokens)\b", s)]
    throttle_queries = [s for s in statements if "auth_throttle" in s]
    print(f"\n{way}: identity computed {len(lookups)} time(s); {len(user_queries)} user/token queries and "
          f"{len(throttle_queries)} throttle queries among {len(statements)} statements")
    assert len(lookups) == 1, lookups
    assert len(user_queries) == 1, user_queries  # a token's user comes joined to the token
    assert len(throttle_queries) == (1 if way == "basic" else 0), throttle_queries


# -- the migration ---------------------------------------------------------------------------------

def test_migration_0004_keeps_users_and_their_rows_and_goes_back(database, tmp_path):
    """On a copy of the schema at 0003 with a user who owns a project: 0004 adds the session
    version (0 for existing users) and the counters without touching other rows, and reverts."""
    from alembic import command
    from sqlalchemy import create_engine, inspect

    from openshot_api.cli import alembic_config
    url = database["sqlalchemy.url"]
    if url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path}/migrate.sqlite"
    else:
        url, drop = _postgres_url()
    try:
        settings = {"sqlalchemy.url": url}
        cfg = alembic_config(settings)
        engine = create_engine(url)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0003")
            conn.execute(text("INSERT INTO users (id, username, password_hash, is_admin, is_active, date_joined) "
                              "VALUES (1, 'old', 'x', false, true, '2026-01-01 00:00:00')"))
            conn.execute(text("INSERT INTO projects (user_id, name, width, height, fps_num, fps_den, sample_rate, "
                              "channels, channel_layout, json, date_created, date_updated) VALUES (1, 'p', 1, 1, "
                              "1, 1, 1, 1, 1, '{}', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"))
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0004")
            assert conn.execute(text("SELECT session_version FROM users WHERE id = 1")).scalar() == 0
            assert conn.execute(text("SELECT COUNT(*) FROM projects")).scalar() == 1
            assert "auth_throttle" in inspect(conn).get_table_names()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0003")
            assert "auth_throttle" not in inspect(conn).get_table_names()
            assert "session_version" not in {c["name"] for c in inspect(conn).get_columns("users")}
            assert conn.execute(text("SELECT COUNT(*) FROM projects")).scalar() == 1
        engine.dispose()
    finally:
        if not url.startswith("sqlite"):
            drop()
