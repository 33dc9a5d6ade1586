"""Local file-system storage: the default backend, served by the app under ``/media/``."""
from openshot_api import hookimpl

from .storage import LocalStorage


@hookimpl
def openshot_api_storage_backends():
    return {LocalStorage.name: LocalStorage}
