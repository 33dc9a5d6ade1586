"""Admin pages: users (list, create, disable, end their sessions, set a password) and tokens (see,
rotate). Admins only."""
from pyramid.csrf import check_csrf_token, get_csrf_token
from pyramid.view import view_config
from sqlalchemy import select

from .auth import create_user, end_sessions, set_password
from .models import Token, User

# The largest id a database integer column holds: larger ids are no user, not an overflow.
LARGEST_ID = 2 ** 31 - 1


def posted_user(request):
    """The user the form's ``user_id`` names, or None when it names none (not a number
    included: a hand-made POST is no reason for a 500)."""
    text = (request.POST.get("user_id") or "").strip()
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) <= LARGEST_ID:
        return None
    return request.dbsession.get(User, int(text))


@view_config(route_name="admin_users", renderer="templates/admin_users.jinja2", permission="admin",
             request_method=("GET", "POST"))
def admin_users(request):
    session = request.dbsession
    message = error = None
    if request.method == "POST":
        check_csrf_token(request)
        action = request.POST.get("action")
        if action == "create":
            username = request.POST.get("username", "").strip()
            password = request.POST.get("password", "")
            if not username or not password:
                error = "Username and password are required."
            elif session.scalar(select(User).where(User.username == username)):
                error = f"A user named {username} already exists."
            else:
                create_user(session, username, password, is_admin=bool(request.POST.get("is_admin")))
                message = f"User {username} created."
        elif action in ("disable", "enable"):
            user = posted_user(request)
            if user is None:
                error = "No such user."
            elif user.id == request.identity.id:
                error = "You cannot disable yourself."
            else:
                user.is_active = action == "enable"
                message = f"User {user.username} {action}d."
        elif action in ("end_sessions", "set_password"):
            user = posted_user(request)
            password = request.POST.get("password", "")
            if user is None:
                error = "No such user."
            elif action == "end_sessions":
                # Their Basic password and token still work: this is for a stolen or forgotten
                # browser session; Rotate and Disable cover the rest.
                end_sessions(user)
                message = f"Sessions of {user.username} ended."
            elif not password:
                error = "A new password is required."
            else:
                set_password(user, password)
                message = f"Password of {user.username} set; their sessions ended."
    users = session.scalars(select(User).order_by(User.id)).all()
    return {"users": users, "message": message, "error": error, "csrf_token": get_csrf_token(request)}


@view_config(route_name="admin_tokens", renderer="templates/admin_tokens.jinja2", permission="admin",
             request_method=("GET", "POST"))
def admin_tokens(request):
    session = request.dbsession
    message = None
    if request.method == "POST":
        check_csrf_token(request)
        user = posted_user(request)
        if user is None:
            message = "No such user."
        else:
            if user.token is not None:
                session.delete(user.token)
                session.flush()
            user.token = Token()
            session.flush()
            message = f"Token of {user.username} rotated."
    tokens = session.scalars(select(Token).order_by(Token.user_id)).all()
    return {"tokens": tokens, "message": message, "csrf_token": get_csrf_token(request)}


def includeme(config):
    config.add_route("admin_users", "/cloud-admin/auth/user/")
    config.add_route("admin_tokens", "/cloud-admin/authtoken/token/")
    config.scan(__name__)
