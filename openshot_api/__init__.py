"""openshot-api: the OpenShot Cloud API as a Pyramid application."""
from .hookspecs import hookimpl  # noqa: F401  (plugin authors: ``from openshot_api import hookimpl``)


def main(global_config, **settings):
    """Paste app factory used by ``pserve``: build the WSGI application from ini settings."""
    from .app import make_app
    return make_app(global_config, settings)
