"""Local file-system storage: the default backend, served by the app under ``/media/``."""
from openshot_api import hookimpl

from .storage import MEDIA_ROOT, SETTINGS, LocalStorage


@hookimpl
def openshot_api_storage_backends():
    return {LocalStorage.name: LocalStorage}


@hookimpl
def openshot_api_settings():
    return [*SETTINGS, MEDIA_ROOT]
