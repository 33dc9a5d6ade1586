"""The WSGI wrappers: trailing slashes without redirects, trusted proxy headers."""
from openshot_api.middleware import wrap


def _call(app, path, **environ):
    seen = {}

    def inner(env, start_response):
        seen.update(env)
        return [b""]
    wrap(inner, app)({"PATH_INFO": path, **environ}, lambda *a: None)
    return seen


def test_a_missing_trailing_slash_is_added_before_routing():
    settings = {"openshot_api.trusted_proxy": "false"}
    assert _call(settings, "/projects/5")["PATH_INFO"] == "/projects/5/"
    assert _call(settings, "/projects/5/")["PATH_INFO"] == "/projects/5/"
    assert _call(settings, "/media/video/files/1/a")["PATH_INFO"] == "/media/video/files/1/a"
    assert _call(settings, "/openapi.yaml")["PATH_INFO"] == "/openapi.yaml"


def test_forwarded_headers_apply_only_behind_a_trusted_proxy():
    headers = {"HTTP_X_FORWARDED_PROTO": "https", "HTTP_X_FORWARDED_HOST": "api.example.com",
               "wsgi.url_scheme": "http", "HTTP_HOST": "internal:6543"}
    trusted = _call({"openshot_api.trusted_proxy": "true"}, "/x/", **headers)
    assert (trusted["wsgi.url_scheme"], trusted["HTTP_HOST"]) == ("https", "api.example.com")
    untrusted = _call({"openshot_api.trusted_proxy": "false"}, "/x/", **headers)
    assert (untrusted["wsgi.url_scheme"], untrusted["HTTP_HOST"]) == ("http", "internal:6543")
