"""SvgTitleRenderer: lists the title templates and fills one in."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

from openshot_api.interfaces import BackendError, ConfigurationError, TitleRenderer
from openshot_api.settings import Setting
from openshot_api.svg_safety import UnsafeSVG, sanitize

from .params import validate
from .svg import TemplateError, fill_template

BUILTIN_TEMPLATES = Path(__file__).parent / "templates"
TEMPLATE_DIRS_SETTING = "openshot_api.titles.template_dirs"
TEMPLATE_DIRS = Setting(TEMPLATE_DIRS_SETTING, "list", [], "Folders of extra title templates "
                        "(*.svg), separated by spaces or new lines; a later one wins.")


class SvgTitleRenderer(TitleRenderer):
    """Titles from the bundled templates plus ``*.svg`` files in extra folders.

    A template in an extra folder replaces a bundled one of the same name; of two extra
    folders, the one listed later wins. Folders are read at each call, so templates added
    while the service runs are seen at once.
    """

    name = "svg"

    def __init__(self, template_dirs: Iterable[str] = ()):
        self.template_dirs = [BUILTIN_TEMPLATES, *(Path(d) for d in template_dirs)]

    @classmethod
    def from_settings(cls, settings: dict) -> "SvgTitleRenderer":
        """Build from ``openshot_api.titles.template_dirs`` (optional: folders separated by
        spaces or new lines). Raises ConfigurationError naming the key when one is not a
        folder."""
        folders = TEMPLATE_DIRS.read(settings)
        for folder in folders:
            if not os.path.isdir(folder):
                raise ConfigurationError(f"{TEMPLATE_DIRS_SETTING}: {folder} is not a folder")
        return cls(folders)

    def _index(self) -> dict[str, Path]:
        found: dict[str, Path] = {}
        for folder in self.template_dirs:
            try:
                entries = sorted(folder.iterdir())
            except OSError:
                continue
            for path in entries:
                if path.suffix.lower() == ".svg" and not path.name.startswith(".") \
                        and path.is_file():
                    found[path.name] = path
        return found

    def templates(self) -> list[str]:
        """Return the file names of the available templates, e.g. ``Center-Text.svg``."""
        return sorted(self._index())

    def template_path(self, template: str) -> Path:
        """Return the file of ``template`` (its file name, with or without ``.svg``, any
        case). Raises KeyError for an unknown template."""
        index = self._index()
        if isinstance(template, str) and "/" not in template and "\\" not in template:
            for candidate in (template, template + ".svg"):
                if candidate in index:
                    return index[candidate]
            folded = {name.casefold(): path for name, path in index.items()}
            for candidate in (template, template + ".svg"):
                if candidate.casefold() in folded:
                    return folded[candidate.casefold()]
        raise KeyError(f"unknown title template {template!r}; available: "
                       f"{', '.join(sorted(index))}")

    def render(self, template: str, params: dict) -> bytes:
        """Return the SVG bytes of ``template`` filled with ``params`` (text, subtitle,
        font_size, font_name, fill_color, fill_opacity, stroke_color, stroke_size,
        stroke_opacity, drop_shadow, background_color, background_opacity, bar_color,
        bar_opacity). Raises KeyError for an unknown template, ValueError naming a bad field,
        BackendError when the template file itself is broken. The template is sanitised before it
        is parsed and the title before Qt renders it (``openshot_api.svg_safety``)."""
        path = self.template_path(template)
        values = validate(params)
        try:
            return sanitize(fill_template(sanitize(path.read_bytes()), values))
        except (TemplateError, UnsafeSVG) as error:
            raise BackendError(f"title template {path.name} is unusable: {error}") from None
