"""Every hook a plugin may implement. One docstring each; ``plugins.py`` checks implementations.

A plugin is a module with functions decorated by ``openshot_api.hookimpl``, registered either as a
built-in (``plugins.DEFAULT_PLUGINS``) or through the ``openshot_api`` entry-point group.
"""
import pluggy

hookspec = pluggy.HookspecMarker("openshot_api")
hookimpl = pluggy.HookimplMarker("openshot_api")


@hookspec
def openshot_api_storage_backends():
    """Return a dict ``{name: Storage subclass}`` of storage backends this plugin provides."""


@hookspec
def openshot_api_cloud_transfers():
    """Return a list of CloudTransfer subclasses (imports from and uploads to client clouds)."""


@hookspec
def openshot_api_renderers():
    """Return a dict ``{name: Renderer subclass}`` of renderers this plugin provides."""


@hookspec
def openshot_api_transcribers():
    """Return a dict ``{name: Transcriber subclass}`` of speech-to-text engines."""


@hookspec
def openshot_api_title_renderers():
    """Return a dict ``{name: TitleRenderer subclass}`` of SVG title makers."""


@hookspec
def openshot_api_format_converters():
    """Return a list of FormatConverter subclasses (EDL, Final Cut Pro XML, OTIO ...)."""


@hookspec
def openshot_api_includeme(config):
    """Called with the Pyramid Configurator after the core routes are added: a plugin may add its
    own routes, views or static assets here."""


@hookspec
def openshot_api_process_setup(settings):
    """Called once in every process that serves or renders (the web server, each worker process)
    before anything is rendered: set process-wide state here, e.g. the fontconfig file."""


@hookspec
def openshot_api_settings():
    """Return a list of ``openshot_api.settings.Setting``: every ``openshot_api.*`` key this
    plugin reads, with its type, default, help text and whether it is secret. Start-up refuses an
    ``openshot_api.*`` key that neither the core (``settings.CORE_SETTINGS``) nor a loaded plugin
    declares, and ``openshot-api settings CONFIG`` prints them all."""
