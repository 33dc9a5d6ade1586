"""SVG titles from templates: the ``svg`` title renderer behind ``POST /projects/{id}/title/``."""
from openshot_api import hookimpl

from .renderer import SvgTitleRenderer


@hookimpl
def openshot_api_title_renderers():
    return {SvgTitleRenderer.name: SvgTitleRenderer}
