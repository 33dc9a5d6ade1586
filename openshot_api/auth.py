"""Basic, token and session authentication; password hashing; the login pages and ``/tokens/``.

Each request has at most one user (``request.identity``). Basic and token credentials are checked
on every request; a session comes from the login page and must send a CSRF token with every
unsafe method, since a browser would otherwise send the cookie on a forged request.
"""
import base64
import binascii
import hashlib
import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pyramid.csrf import check_csrf_token, get_csrf_token
from pyramid.httpexceptions import HTTPFound
from pyramid.security import NO_PERMISSION_REQUIRED, Allowed, Denied
from pyramid.view import forbidden_view_config, view_config
from sqlalchemy import select

from .errors import APIError, api_error_view
from .models import Token, User

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

# Cheaper than argon2's defaults so Basic auth on every request stays fast, still far above
# what a brute force over a stolen hash can use cheaply.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
_verified = {}
_verified_lock = threading.Lock()


def hash_password(password):
    return _hasher.hash(password)


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


def authenticate(session, username, password):
    """Return the active user with these credentials, or None."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.is_active or not check_password(user.password_hash, password):
        return None
    return user


def _unauthorized(detail):
    return APIError(401, detail, headers={"WWW-Authenticate": 'Basic realm="api"'})


class SecurityPolicy:
    """Pyramid security policy: the identity is a ``User`` (or None)."""

    def identity(self, request):
        """The authenticated user, or None. Bad credentials are remembered on the request and
        answered by the forbidden view (401 with the reason), never ignored."""
        try:
            return self._identity(request)
        except APIError as exc:
            request.auth_error = exc
            return None

    def _identity(self, request):
        session = request.dbsession
        header = request.headers.get("Authorization", "")
        scheme, _, credentials = header.partition(" ")
        scheme = scheme.lower()
        credentials = credentials.strip()
        if scheme == "basic":
            try:
                decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
                username, _, password = decoded.partition(":")
            except (binascii.Error, UnicodeDecodeError):
                raise _unauthorized("Invalid basic header. Credentials not correctly base64 encoded.")
            user = authenticate(session, username, password)
            if user is None:
                raise _unauthorized("Invalid username/password.")
            request.auth_method = "basic"
            return user
        if scheme in ("token", "bearer"):
            token = session.get(Token, credentials) if credentials else None
            if token is None or not token.user.is_active:
                raise _unauthorized("Invalid token.")
            request.auth_method = "token"
            return token.user
        user_id = request.session.get("user_id")
        if user_id:
            user = session.get(User, user_id)
            if user is not None and user.is_active:
                request.auth_method = "session"
                return user
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
        request.session["user_id"] = userid
        return []

    def forget(self, request, **kw):
        request.session.invalidate()
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
    user = authenticate(request.dbsession, str(body["username"]), str(body["password"]))
    if user is None:
        raise APIError(400, "Unable to log in with provided credentials.",
                       {"non_field_errors": ["Unable to log in with provided credentials."]})
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


@view_config(route_name="login", renderer="templates/login.jinja2", request_method=("GET", "POST"),
             permission=NO_PERMISSION_REQUIRED)
def login_view(request):
    next_url = safe_next(request, request.params.get("next"))
    error = None
    if request.method == "POST":
        if not check_csrf_token(request, raises=False):
            error = "Your form expired; please try again."
        else:
            user = authenticate(request.dbsession, request.POST.get("username", ""),
                                request.POST.get("password", ""))
            if user is not None:
                request.session.invalidate()
                request.session["user_id"] = user.id
                get_csrf_token(request)
                return HTTPFound(location=next_url)
            error = "Please enter a correct username and password."
    return {"error": error, "next": next_url, "csrf_token": get_csrf_token(request),
            "username": request.POST.get("username", "")}


@view_config(route_name="logout", request_method=("GET", "POST"), permission=NO_PERMISSION_REQUIRED)
def logout_view(request):
    request.session.invalidate()
    return HTTPFound(location=request.route_url("login"))



def includeme(config):
    config.set_security_policy(SecurityPolicy())
    config.add_route("tokens", "/tokens/")
    config.add_route("login", "/api-auth/login/")
    config.add_route("logout", "/api-auth/logout/")
    config.scan(__name__)
