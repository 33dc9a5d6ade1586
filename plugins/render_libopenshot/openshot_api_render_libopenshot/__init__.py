"""The libopenshot renderer plugin: probes media, makes thumbnails and renders exports with
libopenshot 0.2.7's Python bindings (``import openshot``), using ffmpeg only where libopenshot
cannot do the job (see renderer.py)."""
from openshot_api import hookimpl

from .renderer import SETTINGS, LibopenshotRenderer


@hookimpl
def openshot_api_renderers():
    """Offer ``libopenshot`` (``openshot_api.renderer = libopenshot``)."""
    return {LibopenshotRenderer.name: LibopenshotRenderer}


@hookimpl
def openshot_api_settings():
    return list(SETTINGS)
