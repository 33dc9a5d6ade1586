"""Basic, token and session authentication; password hashing; the login pages and ``/tokens/``.

Each request has at most one user (``request.identity``, computed once per request). Basic and
token credentials are checked on every request; a session comes from the login page and must send
a CSRF token with every unsafe method, since a browser would otherwise send the cookie on a forged
request.

Every way in is hardened against guessing: a refused password costs the same argon2 verification
whether the user exists or not, and failures are counted per username and per client address in
the database (``FailureThrottle``), shared by every web process, so that after too many the answer
is 429 until the window ends. Sessions carry the user's ``session_version``: logout, a new password
or an admin raise it, which ends every session of the user although the cookie is stateless.
"""
import base64
import binascii
import functools
import hashlib
import ipaddress
import logging
import math
import secrets
import threading
import time

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pyramid.csrf import check_csrf_token, get_csrf_token
from pyramid.httpexceptions import HTTPFound
from pyramid.renderers import render_to_response
from pyramid.request import RequestLocalCache
from pyramid.security import NO_PERMISSION_REQUIRED, Allowed, Denied
from pyramid.view import forbidden_view_config, view_config
from sqlalchemy import case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

from .errors import APIError, api_error_view
from .models import AuthThrottle, Token, User
from .settings import get_bool, get_int

log = logging.getLogger(__name__)

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

# Cheaper than argon2's defaults so Basic auth on every request stays fast, still far above
# what a brute force over a stolen hash can use cheaply.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
_verified = {}
_verified_lock = threading.Lock()


def hash_password(password):
    return _hasher.hash(password)


@functools.lru_cache(maxsize=1)
def _dummy_hash():
    """A hash of a password nobody knows, made with the same parameters as real ones: checking a
    password against it costs what checking a real user's does."""
    return hash_password(secrets.token_urlsafe(24))


def check_password(password_hash, password):
    """Verify ``password``; successful checks are remembered in memory (keyed by a digest of the
    hash and password) so repeated Basic-auth requests do not pay argon2's cost each time."""
    digest = hashlib.sha256((password_hash + "\0" + password).encode()).digest()
    with _verified_lock:
        if digest in _verified:
            return True
    try:
        _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    with _verified_lock:
        if len(_verified) > 10000:
            _verified.clear()
        _verified[digest] = True
    return True


def create_user(session, username, password, is_admin=False):
    """Create a user with a hashed password and their token; returns the user."""
    user = User(username=username, password_hash=hash_password(password), is_admin=is_admin)
    user.token = Token()
    session.add(user)
    session.flush()
    return user


def end_sessions(user):
    """End every session of ``user`` (each browser, each copied cookie) from the next request on.
    Raised in SQL, so two requests doing it at once both count."""
    user.session_version = User.session_version + 1


def set_password(user, password):
    """Give ``user`` a new password. Their sessions end: whoever knew the old one may hold one."""
    user.password_hash = hash_password(password)
    end_sessions(user)


def authenticate(session, username, password):
    """Return the active user with these credentials, or None. Unknown and disabled users cost one
    argon2 verification too, so the time of a refusal does not tell which usernames exist."""
    # No user's name holds NUL, and PostgreSQL refuses it in a query: such a name is unknown.
    user = None if "\0" in username else session.scalar(select(User).where(User.username == username))
    usable = user is not None and user.is_active
    matches = check_password(user.password_hash if usable else _dummy_hash(), password)
    return user if usable and matches else None


def _digest(kind, value):
    return hashlib.sha256(f"{kind}\0{value}".encode("utf-8", "surrogatepass")).hexdigest()


_UPSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


class FailureThrottle:
    """Failed authentications counted per username and per client address, in the database so
    every web process (and every server on the same database) sees the same counts.

    A key has one row: the failures since ``window_start``. Once a key has ``limit`` failures, its
    logins are answered 429 until ``window_start + window``; then the next failure starts a new
    window. Only failures are written, so right passwords never wait on a write."""

    def __init__(self, engine, max_per_user, max_per_address, window, trusted_proxy=False):
        self.engine = engine
        self.max_per_user = max_per_user
        self.max_per_address = max_per_address
        self.window = window
        self.trusted_proxy = trusted_proxy
        self._next_prune = 0.0

    @classmethod
    def from_settings(cls, settings, engine):
        return cls(engine, get_int(settings, "openshot_api.auth_max_failures"),
                   get_int(settings, "openshot_api.auth_max_failures_per_address"),
                   get_int(settings, "openshot_api.auth_failure_window"),
                   get_bool(settings, "openshot_api.trusted_proxy"))

    def address_of(self, request):
        """The client's address: REMOTE_ADDR, or behind a trusted proxy the last X-Forwarded-For
        entry (the one that proxy appended; earlier ones are whatever the client sent). An IPv6
        client counts as its /64, which one subscriber usually holds whole."""
        address = request.environ.get("REMOTE_ADDR") or ""
        if self.trusted_proxy:
            forwarded = [a.strip() for a in request.environ.get("HTTP_X_FORWARDED_FOR", "").split(",")]
            if forwarded[-1]:
                address = forwarded[-1]
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return address
        if ip.version == 6:
            if ip.ipv4_mapped is not None:
                return str(ip.ipv4_mapped)
            return str(ipaddress.ip_network(f"{ip}/64", strict=False))
        return str(ip)

    def keys(self, request, username=None):
        """``{row key: its limit}`` for this request's address and, when given, the username."""
        keys = {_digest("addr", self.address_of(request)): self.max_per_address}
        if username is not None:
            keys[_digest("user", username)] = self.max_per_user
        return keys

    def retry_after(self, session, keys):
        """Seconds until ``keys`` may log in again; 0 when they may now."""
        now = time.time()
        rows = session.execute(select(AuthThrottle.key, AuthThrottle.window_start, AuthThrottle.failures)
                               .where(AuthThrottle.key.in_(sorted(keys))))
        wait = 0.0
        for key, start, failures in rows:
            if failures >= keys[key] and start + self.window > now:
                wait = max(wait, start + self.window - now)
        return wait

    def record_failure(self, keys):
        """Count one failure for each key, in a transaction of its own: the request's own is
        rolled back when it answers 401 or 400."""
        now = time.time()
        stale = AuthThrottle.window_start <= now - self.window
        with self.engine.begin() as conn:
            insert = _UPSERT[conn.dialect.name]
            # Sorted, so two processes counting the same keys lock their rows in the same order.
            stmt = insert(AuthThrottle).values(
                [{"key": key, "window_start": now, "failures": 1} for key in sorted(keys)])
            conn.execute(stmt.on_conflict_do_update(index_elements=[AuthThrottle.key], set_={
                "failures": case((stale, 1), else_=AuthThrottle.failures + 1),
                "window_start": case((stale, now), else_=AuthThrottle.window_start)}))
        if now >= self._next_prune:
            self._next_prune = now + min(self.window, 60)
            self.prune(now)

    def prune(self, now=None):
        """Delete rows whose window has ended. A bounded batch that skips rows another process
        holds (PostgreSQL), so pruning never waits on, or deadlocks with, a login being counted;
        it is housekeeping, so a failure is only logged."""
        cutoff = (time.time() if now is None else now) - self.window
        expired = (select(AuthThrottle.key).where(AuthThrottle.window_start <= cutoff).limit(1000)
                   .with_for_update(skip_locked=True))
        try:
            with self.engine.begin() as conn:
                conn.execute(delete(AuthThrottle).where(AuthThrottle.key.in_(expired)))
        except DBAPIError:
            log.warning("could not prune auth_throttle", exc_info=True)


def _throttled(wait):
    seconds = max(1, math.ceil(wait))
    return APIError(429, f"Request was throttled. Expected available in {seconds} seconds.",
                    headers={"Retry-After": str(seconds)})


def _refusal(request, keys, error):
    """The answer to a failed authentication: a 429 while ``keys`` are locked out, else ``error``
    once the failure is counted."""
    throttle = request.registry["auth_throttle"]
    wait = throttle.retry_after(request.dbsession, keys)
    if wait:
        return _throttled(wait)
    throttle.record_failure(keys)
    return error


def login_attempt(request, username, password, error):
    """The active user with these credentials; raises ``error`` when they are wrong and a 429
    ``APIError`` while the username or the client's address is locked out. The lockout is checked
    before the password, so a right guess during it is refused like a wrong one."""
    throttle = request.registry["auth_throttle"]
    keys = throttle.keys(request, username)
    wait = throttle.retry_after(request.dbsession, keys)
    if wait:
        raise _throttled(wait)
    user = authenticate(request.dbsession, username, password)
    if user is None:
        throttle.record_failure(keys)
        raise error
    return user


def _unauthorized(detail):
    return APIError(401, detail, headers={"WWW-Authenticate": 'Basic realm="api"'})


def session_user(request):
    """The user of the session cookie, if the session is still valid: the user is active and no
    logout, password change or admin has ended their sessions since it began."""
    user_id = request.session.get("user_id")
    if not user_id:
        return None
    user = request.dbsession.get(User, user_id)
    if user is None or not user.is_active or request.session.get("session_version") != user.session_version:
        return None
    return user


def start_session(request, user):
    """Log ``user`` in on this browser: a new session (no fixation), with a new CSRF token."""
    request.session.invalidate()
    request.session["user_id"] = user.id
    request.session["session_version"] = user.session_version
    get_csrf_token(request)


class SecurityPolicy:
    """Pyramid security policy: the identity is a ``User`` (or None)."""

    def __init__(self):
        # Pyramid asks the policy again each time request.identity is read (permits, the views,
        # authenticated_userid): without the cache each read repeated the lookups.
        self._identity_cache = RequestLocalCache(self._load_identity)

    def identity(self, request):
        """The authenticated user, or None. Bad credentials are remembered on the request and
        answered by the forbidden view (401 with the reason, or 429), never ignored."""
        return self._identity_cache.get_or_create(request)

    def _load_identity(self, request):
        try:
            return self._identity(request)
        except APIError as exc:
            request.auth_error = exc
            return None

    def _identity(self, request):
        session = request.dbsession
        throttle = request.registry["auth_throttle"]
        header = request.headers.get("Authorization", "")
        scheme, _, credentials = header.partition(" ")
        scheme = scheme.lower()
        credentials = credentials.strip()
        if scheme == "basic":
            try:
                decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
                username, _, password = decoded.partition(":")
            except (binascii.Error, UnicodeDecodeError):
                raise _refusal(request, throttle.keys(request),
                               _unauthorized("Invalid basic header. Credentials not correctly base64 encoded."))
            user = login_attempt(request, username, password, _unauthorized("Invalid username/password."))
            request.auth_method = "basic"
            return user
        if scheme in ("token", "bearer"):
            # One query: the token's user, joined.
            user = session.scalar(select(User).join(Token, Token.user_id == User.id).where(
                Token.key == credentials)) if credentials and "\0" not in credentials else None
            if user is None or not user.is_active:
                # Only wrong tokens meet the lockout: a right one (160 random bits) is never a guess,
                # so its owner keeps working while their address is locked out.
                raise _refusal(request, throttle.keys(request), _unauthorized("Invalid token."))
            request.auth_method = "token"
            return user
        user = session_user(request)
        if user is not None:
            request.auth_method = "session"
            return user
        if request.session.get("user_id"):
            # An ended session: drop the cookie so the browser stops sending it.
            request.session.invalidate()
        return None

    def authenticated_userid(self, request):
        user = request.identity
        return user.id if user is not None else None

    def permits(self, request, context, permission):
        user = request.identity
        if user is None:
            return Denied("not authenticated")
        if getattr(request, "auth_method", None) == "session" and request.method not in SAFE_METHODS:
            if not check_csrf_token(request, raises=False):
                raise APIError(403, "CSRF Failed: CSRF token missing or incorrect.")
        if permission == "admin" and not user.is_admin:
            return Denied("admin only")
        return Allowed("ok")

    def remember(self, request, userid, **kw):
        start_session(request, request.dbsession.get(User, userid))
        self._identity_cache.clear(request)
        return []

    def forget(self, request, **kw):
        request.session.invalidate()
        self._identity_cache.clear(request)
        return []


def wants_html(request):
    return "text/html" in (request.headers.get("Accept") or "") and request.method == "GET"


@forbidden_view_config()
def forbidden_view(exc, request):
    if request.identity is None:
        if getattr(request, "auth_error", None) is not None:
            return api_error_view(request.auth_error, request)
        if wants_html(request):
            return HTTPFound(location=request.route_url("login", _query={"next": request.path_qs}))
        return api_error_view(_unauthorized("Authentication credentials were not provided."), request)
    return api_error_view(APIError(403, "You do not have permission to perform this action."), request)


@view_config(route_name="tokens", request_method="POST", renderer="json",
             permission=NO_PERMISSION_REQUIRED)
def tokens_create(request):
    from .resources.base import body_of
    body = body_of(request)
    errors = {}
    for field in ("username", "password"):
        if not str(body.get(field) or ""):
            errors[field] = ["This field is required."]
    if errors:
        raise APIError(400, "username and password are required.", errors)
    user = login_attempt(request, str(body["username"]), str(body["password"]),
                         APIError(400, "Unable to log in with provided credentials.",
                                  {"non_field_errors": ["Unable to log in with provided credentials."]}))
    if user.token is None:
        user.token = Token()
        request.dbsession.flush()
    return {"token": user.token.key}


def safe_next(request, target):
    """Where to go after logging in: a path on this site (the login form carries it back),
    never another host (no open redirects: ``//evil``, ``http://host@evil``, back-slashes and control characters are
    refused, as is any absolute URL)."""
    from urllib.parse import urlsplit

    text = str(target or "")
    parts = urlsplit(text)
    if (not text.startswith("/") or text.startswith("//") or "\\" in text
            or any(ord(c) < 32 for c in text) or parts.scheme or parts.netloc):
        return request.route_path("root")
    return text


class _WrongLogin(Exception):
    """A refused login form: shown on the page, not raised as an API error."""


@view_config(route_name="login", renderer="templates/login.jinja2", request_method=("GET", "POST"),
             permission=NO_PERMISSION_REQUIRED)
def login_view(request):
    next_url = safe_next(request, request.params.get("next"))
    error = None
    if request.method == "POST":
        if not check_csrf_token(request, raises=False):
            error = "Your form expired; please try again."
        else:
            try:
                user = login_attempt(request, request.POST.get("username", ""),
                                     request.POST.get("password", ""), _WrongLogin())
            except _WrongLogin:
                error = "Please enter a correct username and password."
            except APIError as exc:
                request.response.status = exc.status
                request.response.headers.update(exc.headers)
                error = f"Too many failed logins. Try again in {exc.headers['Retry-After']} seconds."
            else:
                start_session(request, user)
                return HTTPFound(location=next_url)
    return {"error": error, "next": next_url, "csrf_token": get_csrf_token(request),
            "username": request.POST.get("username", "")}


def _logout_page(request, error=None, status=200):
    response = render_to_response("openshot_api:templates/logout.jinja2",
                                  {"csrf_token": get_csrf_token(request), "error": error}, request=request)
    response.status = status
    return response


@view_config(route_name="logout", request_method="GET", permission=NO_PERMISSION_REQUIRED)
def logout_confirm(request):
    """A GET never logs out, or any page could log its visitors out with a link or an image: a
    browser gets a form that POSTs with the CSRF token, an API client a 405."""
    if not wants_html(request):
        raise APIError(405, 'Method "GET" not allowed.', headers={"Allow": "POST"})
    return _logout_page(request)


@view_config(route_name="logout", request_method="POST", permission=NO_PERMISSION_REQUIRED)
def logout_view(request):
    user = session_user(request)
    if user is not None:
        if not check_csrf_token(request, raises=False):
            if "text/html" in (request.headers.get("Accept") or ""):
                return _logout_page(request, "Your form expired; please try again.", status=403)
            raise APIError(403, "CSRF Failed: CSRF token missing or incorrect.")
        # Every session of the user ends, not only this cookie: a copy taken before (another
        # browser, a stolen cookie) stops working too.
        end_sessions(user)
    request.session.invalidate()
    return HTTPFound(location=request.route_url("login"))


def includeme(config):
    config.set_security_policy(SecurityPolicy())
    # After db: the counters live in the same database.
    config.registry["auth_throttle"] = FailureThrottle.from_settings(config.get_settings(),
                                                                     config.registry["db_engine"])
    config.add_route("tokens", "/tokens/")
    config.add_route("login", "/api-auth/login/")
    config.add_route("logout", "/api-auth/logout/")
    config.scan(__name__)
