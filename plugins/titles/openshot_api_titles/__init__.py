"""SVG titles from templates: the ``svg`` title renderer behind ``POST /projects/{id}/title/``,
and the ``/info/fonts/`` services that list, add and show the fonts titles can use."""
from openshot_api import hookimpl
from openshot_api.settings import Setting

from .renderer import TEMPLATE_DIRS, SvgTitleRenderer

# Read by fonts.py, declared here: that module is imported only when the app is built.
FONTS_DIR = Setting("openshot_api.fonts_dir", "path", None, "Folder of uploaded fonts (empty: "
                    "fonts in openshot_api.var_dir).")
FONTS_UPLOAD_FOR_EVERYONE = Setting("openshot_api.fonts_upload_for_everyone", "bool", False,
                                    "Let every user, not only admins, add fonts at /info/fonts/.")


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


@hookimpl
def openshot_api_settings():
    return [TEMPLATE_DIRS, FONTS_DIR, FONTS_UPLOAD_FOR_EVERYONE]
