"""Project export to other editors' formats: CMX 3600 EDL, Final Cut Pro 7 XML, OpenTimelineIO."""
from openshot_api import hookimpl

from .converter import ProjectFormatConverter
from .timeline import media_file_names

__all__ = ["ProjectFormatConverter", "media_file_names"]


@hookimpl
def openshot_api_format_converters():
    return [ProjectFormatConverter]
