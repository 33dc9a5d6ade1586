"""Picks each backend by name from the ini, checks it against its interface, and keeps one
instance per process. Actors use the ``Services`` object itself; requests get it through
``get_services(request)``, whose renderer waits for a sync render slot (sync_render.py)."""
import threading

from . import interfaces
from .interfaces import ConfigurationError
from .plugins import backends, make_plugin_manager
from .settings import get_list
from .sync_render import RenderSlots, SlotRenderer


class Services:
    """Lazily built backends: ``storage``, ``renderer``, ``transcriber``, ``title_renderer``,
    ``format_converters``, ``cloud_transfers``."""

    def __init__(self, settings, plugin_manager=None):
        self.settings = settings
        # read_settings built one already, to learn the plugins' settings: use the same.
        self.pm = plugin_manager or getattr(settings, "plugin_manager", None) or make_plugin_manager(
            get_list(settings, "openshot_api.plugins.blocklist"))
        self._lock = threading.RLock()
        self._cache = {}

    def _build(self, key, factory):
        with self._lock:
            if key not in self._cache:
                self._cache[key] = factory()
            return self._cache[key]

    def _named(self, kind, hook, setting, interface, required=True):
        def factory():
            available = backends(self.pm, hook)
            name = (self.settings.get(setting) or "").strip()
            if not name:
                if required:
                    raise ConfigurationError(f"{setting} is not set")
                return None
            if name not in available:
                raise ConfigurationError(
                    f"{setting} = {name}: no such {kind}; installed: {', '.join(sorted(available)) or 'none'}")
            cls = available[name]
            if not issubclass(cls, interface):
                raise ConfigurationError(f"{kind} {name} does not implement {interface.__name__}")
            return cls.from_settings(self.settings)
        return self._build(kind, factory)

    @property
    def storage(self):
        return self._named("storage", "openshot_api_storage_backends", "openshot_api.storage",
                           interfaces.Storage)

    @property
    def renderer(self):
        return self._named("renderer", "openshot_api_renderers", "openshot_api.renderer",
                           interfaces.Renderer)

    @property
    def transcriber(self):
        """None when no transcriber is configured on this instance."""
        return self._named("transcriber", "openshot_api_transcribers", "openshot_api.transcriber",
                           interfaces.Transcriber, required=False)

    @property
    def title_renderer(self):
        return self._named("title_renderer", "openshot_api_title_renderers",
                           "openshot_api.title_renderer", interfaces.TitleRenderer)

    @property
    def format_converters(self):
        """``{format name: converter}`` over every installed converter."""
        def factory():
            converters = {}
            for cls in backends(self.pm, "openshot_api_format_converters").values():
                converter = cls.from_settings(self.settings)
                for fmt in converter.formats():
                    converters.setdefault(fmt, converter)
            return converters
        return self._build("format_converters", factory)

    @property
    def cloud_transfers(self):
        """Every installed CloudTransfer that is configured (a plugin whose settings are missing
        is left out; its ConfigurationError is kept for the error message)."""
        def factory():
            transfers, problems = [], {}
            for cls in backends(self.pm, "openshot_api_cloud_transfers").values():
                try:
                    transfers.append(cls.from_settings(self.settings))
                except ConfigurationError as exc:
                    problems[cls.name] = str(exc)
            self.cloud_transfer_problems = problems
            return transfers
        return self._build("cloud_transfers", factory)

    def cloud_transfer_for(self, spec):
        for transfer in self.cloud_transfers:
            if transfer.accepts(spec):
                return transfer
        return None

    @property
    def render_slots(self):
        """The one ``RenderSlots`` of this app, shared by all its requests."""
        return self._build("render_slots", lambda: RenderSlots.from_settings(self.settings))


class RequestServices:
    """The services as one request sees them: the same backends, but ``renderer.probe`` and
    ``renderer.thumbnail`` take a slot of the request's user."""

    def __init__(self, services, request):
        self._services, self._request = services, request

    @property
    def renderer(self):
        return SlotRenderer(self._services.renderer, self._services.render_slots, self._user_id)

    def _user_id(self):
        user = self._request.identity
        return user.id if user is not None else None

    def __getattr__(self, name):
        return getattr(self._services, name)


def get_services(request_or_registry):
    """A request's services (renderer limited by the sync render slots), or a registry's own."""
    registry = getattr(request_or_registry, "registry", None)
    if registry is None:
        return request_or_registry["services"]
    return RequestServices(registry["services"], request_or_registry)
