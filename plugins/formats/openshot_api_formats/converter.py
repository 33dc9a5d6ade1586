"""The FormatConverter backend: EDL, Final Cut Pro 7 XML and OpenTimelineIO documents of a project."""
from __future__ import annotations

import re
from typing import Optional

from openshot_api.interfaces import FormatConverter

from .edl import write_edl
from .fcp_xml import write_fcp_xml
from .otio_json import write_otio
from .timeline import build_timeline, media_file_names

#: Format name -> file extension of the document.
EXTENSIONS = {"edl": "edl", "xml": "xml", "otio": "otio"}


class ProjectFormatConverter(FormatConverter):
    """Writes a project dict (docs/project-dict.md) as a CMX 3600 EDL of one layer, a Final Cut
    Pro 7 XML sequence of all layers, or an OpenTimelineIO timeline.

    The documents name media by file name only (see ``media_file_names``): the caller ships each
    file under that name beside the document.
    """

    name = "formats"

    @classmethod
    def from_settings(cls, settings: dict, prefix: str = "openshot_api.formats.") -> "ProjectFormatConverter":
        """Build the converter; it needs no settings."""
        return cls()

    def formats(self) -> list[str]:
        """Return ``["edl", "xml", "otio"]``."""
        return list(EXTENSIONS)

    def media_file_names(self, project: dict) -> dict[str, str]:
        """Return ``{file id: name}``, the names the documents use for the project's files; store
        each file under its name next to the document so editors find it."""
        return media_file_names(project)

    def export(self, project: dict, fmt: str, options: Optional[dict] = None) -> tuple[str, bytes]:
        """Return ``(file_name, bytes)`` of ``project`` written as ``fmt``.

        ``options`` (the request's ``json``): ``layer`` (required for ``edl``: the layer number
        to write), ``media_url_prefix`` (optional for ``xml`` and ``otio``: put before each media
        file name, e.g. ``file://localhost/Users/me/project/``). Raises ValueError naming the
        format or option when one is missing or wrong, or the layer has no clips.
        """
        options = options or {}
        if not isinstance(options, dict):
            raise ValueError("options must be a JSON object")
        if fmt not in EXTENSIONS:
            raise ValueError(f"format must be one of {', '.join(EXTENSIONS)}; got {fmt!r}")
        prefix = options.get("media_url_prefix") or ""
        if not isinstance(prefix, str):
            raise ValueError("media_url_prefix must be a string")
        timeline = build_timeline(project)
        stem = _file_stem(timeline.name)
        if fmt == "edl":
            number = _layer_number(options)
            layer = timeline.layer(number)
            if layer is None or layer.is_empty:
                raise ValueError(f"layer {number} has no clips")
            return f"{stem}-layer-{number}.edl", write_edl(timeline, layer).encode("utf-8")
        if fmt == "xml":
            return f"{stem}.xml", write_fcp_xml(timeline, prefix)
        return f"{stem}.otio", write_otio(timeline, prefix)


def _layer_number(options: dict) -> int:
    if options.get("layer") in (None, ""):
        raise ValueError("layer is required for EDL")
    layer = options["layer"]
    if isinstance(layer, float) and layer.is_integer():
        layer = int(layer)
    if isinstance(layer, bool) or not re.fullmatch(r"\s*-?\d+\s*", str(layer)):
        raise ValueError(f"layer must be a layer number; got {layer!r}")
    return int(layer)


def _file_stem(name: str) -> str:
    """A portable file name stem from the project name."""
    stem = re.sub(r"[^\w.-]+", "-", name, flags=re.ASCII).strip("-.")
    return stem[:80] or "project"
