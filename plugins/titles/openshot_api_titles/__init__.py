"""SVG titles from templates: the ``svg`` title renderer behind ``POST /projects/{id}/title/``,
and the ``/info/fonts/`` services that list, add and show the fonts titles can use."""
from openshot_api import hookimpl

from .renderer import SvgTitleRenderer


@hookimpl
def openshot_api_title_renderers():
    return {SvgTitleRenderer.name: SvgTitleRenderer}


@hookimpl
def openshot_api_includeme(config):
    # Imported here so that merely loading the renderer does not pull in Cornice and Pillow.
    from . import fonts
    fonts.includeme(config)


@hookimpl
def openshot_api_process_setup(settings):
    # Fonts uploaded to this instance must be visible to the renderer of every process.
    from .fonts import configure_fontconfig
    configure_fontconfig(settings)
