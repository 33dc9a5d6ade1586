"""``[server:main] use = egg:openshot-api`` — waitress, with the port taken from
``pserve CONFIG http_port=N`` (PasteDeploy lets an ini's own [DEFAULT] beat the command line, so
the default port lives here instead)."""
import waitress

DEFAULT_PORT = "6543"


def serve(wsgi_app, global_conf, host="127.0.0.1", port=None, **kw):
    """Paste server runner: ``host``/``port`` from the ini, ``http_port`` from the command line
    winning over both."""
    port = global_conf.get("http_port") or port or DEFAULT_PORT
    waitress.serve(wsgi_app, host=host, port=int(port), **kw)
