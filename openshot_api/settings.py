"""Declared settings: every ``openshot_api.*`` key has a type, a default, help text and a secret
flag, declared by the core (``CORE_SETTINGS``) or by the plugin that reads it (the
``openshot_api_settings`` hook). ``read_settings`` completes the ini with defaults and
``OPENSHOT_API_*`` environment overrides, checks every value, and stops start-up on a key nobody
declares; ``openshot-api settings CONFIG`` prints the result (``describe_settings``)."""
import difflib
import os
import re

from pyramid.settings import asbool

from .interfaces import ConfigurationError

PREFIX = "openshot_api."
TYPES = ("str", "int", "float", "bool", "list", "path")
_TYPE_NAMES = {str: "str", int: "int", float: "float", bool: "bool", list: "list"}
_TRUE = ("true", "yes", "on", "1", "t", "y")
_FALSE = ("false", "no", "off", "0", "f", "n")
MASK = "****"


class Setting:
    """One declared key.

    ``type``: ``str``, ``int``, ``float``, ``bool``, ``list`` (words separated by commas, spaces or
    new lines) or ``path`` (a file or folder; kept as written); the Python types ``str`` ... are
    accepted too. ``default``: the typed value when the ini and the environment leave the key out
    or blank (None: no value at all; the reader decides what that means). ``secret``: never
    printed. ``choices``, ``minimum``, ``maximum``: further checks. ``allow_empty``: a blank value
    is a value (an empty string or list, meaning "none") rather than "use the default".
    """

    def __init__(self, key, type="str", default=None, help="", secret=False, choices=None,
                 minimum=None, maximum=None, allow_empty=False):
        type = _TYPE_NAMES.get(type, type)
        if type not in TYPES:
            raise ValueError(f"{key}: unknown setting type {type!r}")
        if not key.startswith(PREFIX):
            raise ValueError(f"{key}: declared settings start with {PREFIX}")
        self.key, self.type, self.help, self.secret = key, type, help, secret
        self.choices = tuple(choices) if choices else None
        self.minimum, self.maximum, self.allow_empty = minimum, maximum, allow_empty
        # Checked like an ini value, so a wrong default fails when the plugin is loaded.
        self.default = None if default is None else self.parse(default)

    def __repr__(self):
        return f"Setting({self.key!r}, {self.type!r}, default={self.default!r})"

    def _fail(self, key, raw, problem):
        raise ConfigurationError(f"{key} = {raw!r}: {problem}")

    def parse(self, raw, key=None):
        """The typed value of ``raw`` (a string from the ini or the environment, or a value of
        the right type). Raises ConfigurationError naming ``key`` and ``raw`` when it is wrong."""
        key = key or self.key
        text = raw.strip() if isinstance(raw, str) else raw
        if self.type == "bool":
            if isinstance(raw, bool):
                return raw
            if str(text).lower() in _TRUE:
                return True
            if str(text).lower() in _FALSE:
                return False
            self._fail(key, raw, "must be true or false")
        if self.type == "list":
            if isinstance(raw, (list, tuple)):
                return [str(v) for v in raw]
            return [v for v in str(text).replace(",", " ").split() if v]
        if self.type in ("int", "float"):
            if isinstance(raw, bool):
                self._fail(key, raw, f"must be a {'whole ' if self.type == 'int' else ''}number")
            try:
                value = int(text) if self.type == "int" else float(text)
            except (TypeError, ValueError):
                self._fail(key, raw, "must be a whole number" if self.type == "int" else "must be a number")
            if self.minimum is not None and value < self.minimum:
                self._fail(key, raw, f"must be at least {self.minimum}")
            if self.maximum is not None and value > self.maximum:
                self._fail(key, raw, f"must be at most {self.maximum}")
            return value
        value = str(text)
        if self.choices and value.lower() not in self.choices and not (self.allow_empty and value == ""):
            self._fail(key, raw, f"must be one of {', '.join(self.choices)}")
        return value.lower() if self.choices else value

    def is_blank(self, raw):
        return raw is None or (isinstance(raw, str) and not raw.strip())

    def read(self, settings, key=None):
        """The typed value stored under ``key`` (default: this setting's key) in ``settings``,
        the default when it is missing or blank (unless ``allow_empty``). Plugins read their
        keys with this, so a plain dict of strings (a test's) is parsed as the ini would be."""
        key = key or self.key
        raw = settings.get(key)
        if raw is None or (self.is_blank(raw) and not self.allow_empty):
            return self.default
        return self.parse(raw, key)

    def text(self, value):
        """``value`` as an ini string: what the settings mapping holds."""
        if value is None:
            return ""
        if self.type == "bool":
            return "true" if value else "false"
        if self.type == "list":
            return " ".join(value)
        if self.type == "float":
            return "%.12g" % value  # 8, not 8.0
        return str(value)


class SettingGroup:
    """Settings sharing one prefix (``openshot_api.storage.s3.``), readable under another prefix
    too: a storage backend's ``from_settings(settings, prefix)`` may be given one."""

    def __init__(self, prefix, *settings):
        self.prefix = prefix
        self.settings = {}
        for setting in settings:
            if not setting.key.startswith(prefix):
                raise ValueError(f"{setting.key} is not under {prefix}")
            self.settings[setting.key[len(prefix):]] = setting

    def __iter__(self):
        return iter(self.settings.values())

    def read(self, settings, name, prefix=None):
        """The typed value of ``<prefix><name>`` (``prefix`` defaults to the group's)."""
        return self.settings[name].read(settings, (prefix or self.prefix) + name)


def storage_settings(prefix, place, chunk_minimum, chunk_maximum=None):
    """The keys every cloud storage backend reads the same way: key prefix, URL lifetime,
    transfer chunk size and the local download cache (``openshot_api.fetch.DownloadCache``)."""
    return [
        Setting(prefix + "prefix", "str", "", f"Folder (key prefix) inside the {place} under which "
                "this instance keeps its objects."),
        Setting(prefix + "url_expires", "int", 3600, "Seconds a signed media URL stays valid.",
                minimum=1),
        Setting(prefix + "chunk_mb", "float", 8, "Megabytes moved per upload part and ranged read; "
                "memory use stays bounded by a few chunks.", minimum=chunk_minimum,
                maximum=chunk_maximum),
        Setting(prefix + "cache_dir", "path", None, "Folder of local copies of stored media that "
                "renders read (empty: a folder in the system temporary folder)."),
        Setting(prefix + "cache_mb", "float", 2048, "Most megabytes the local copies may take; the "
                "least recently used are removed first.", minimum=0),
    ]


# The core's own keys (plugins declare theirs through the openshot_api_settings hook).
CORE_SETTINGS = [
    # Backends, each chosen by the name a plugin offers.
    Setting("openshot_api.storage", "str", "local", "Storage backend where media and renders are "
            "kept: local, s3, azure, gcs (or a third-party plugin's name).", allow_empty=True),
    Setting("openshot_api.renderer", "str", "libopenshot", "Renderer plugin that probes, renders "
            "and makes thumbnails.", allow_empty=True),
    Setting("openshot_api.transcriber", "str", "", "Speech-to-text plugin (whisper); empty "
            "disables /files/{id}/transcribe/.", allow_empty=True),
    Setting("openshot_api.title_renderer", "str", "svg", "Title renderer plugin behind "
            "/projects/{id}/title/.", allow_empty=True),
    Setting("openshot_api.transcribe.default_model", "str", "tiny.en", "Model of a transcription "
            "request that names none (an English-only *.en model falls back to its multilingual "
            "form for other languages or translations)."),
    Setting("openshot_api.plugins.blocklist", "list", [], "Plugins (entry-point names, e.g. "
            "storage_gcs) not to load; their settings are then unknown keys."),
    # Jobs.
    Setting("openshot_api.broker", "str", "embedded", "Job queue: embedded (worker threads in the "
            "server) or rabbitmq (separate `openshot-api worker` processes).",
            choices=("embedded", "rabbitmq")),
    Setting("openshot_api.broker_url", "str", "amqp://guest:guest@127.0.0.1:5672/",
            "RabbitMQ URL (openshot_api.broker = rabbitmq)."),
    Setting("openshot_api.embedded_worker", "bool", True, "Run worker threads inside the server "
            "with the embedded broker."),
    Setting("openshot_api.embedded_worker_threads", "int", 2, "Worker threads of the embedded "
            "worker.", minimum=1),
    Setting("openshot_api.export_heartbeat_timeout", "int", 60, "Seconds without a heartbeat after "
            "which an in-progress render's worker is taken for dead and the render retried.",
            minimum=1),
    Setting("openshot_api.export_stale_minutes", "int", 45, "Minutes after which a render still "
            "pending or in progress is looked at again by the sweeper.", minimum=1),
    Setting("openshot_api.export_max_auto_retries", "int", 1, "Times a render whose worker or "
            "render child died is retried before it is failed.", minimum=0),
    # Durability: how often the outbox relay and the sweeper look for work, how long a stopping
    # worker may finish a render before handing it back, how long job writes wait out a database
    # outage, and what a client is told to wait while the database is unreachable.
    Setting("openshot_api.outbox_interval", "int", 1, "Seconds between two looks of the outbox "
            "relay and the sweeper for jobs to send.", minimum=1),
    Setting("openshot_api.worker_shutdown_grace", "int", 20, "Seconds a stopping worker (SIGTERM) "
            "lets a render finish before handing it back to the queue.", minimum=0),
    Setting("openshot_api.db_outage_patience", "int", 300, "Seconds a render's final state waits "
            "for an unreachable database.", minimum=0),
    Setting("openshot_api.db_unavailable_retry_after", "int", 5, "Retry-After seconds of the 503 "
            "answered while the database is unreachable.", minimum=1),
    # Webhook deliveries: attempts after the first, each waiting twice as long (from 2 s, at most
    # webhook_max_backoff seconds), whatever happens to the broker or the workers meanwhile.
    Setting("openshot_api.webhook_timeout", "int", 10, "Seconds one webhook delivery may take.",
            minimum=1),
    Setting("openshot_api.webhook_retries", "int", 8, "Webhook attempts after the first, with "
            "doubling waits from 2 s.", minimum=0),
    Setting("openshot_api.webhook_max_backoff", "int", 600, "Longest wait in seconds between two "
            "webhook attempts.", minimum=1),
    Setting("openshot_api.webhook_secret", "str", "", "Key of the HMAC signature sent with each "
            "webhook (empty: unsigned).", secret=True),
    # Web server.
    Setting("openshot_api.public_url", "str", "", "Base URL of links built outside a request "
            "(workers, webhooks); empty: http://localhost."),
    Setting("openshot_api.session_secret", "str", "", "Key signing browser sessions; the same on "
            "every web process (empty: one generated once under var_dir).", secret=True),
    Setting("openshot_api.cookie_secure", "bool", False, "Session cookies only over HTTPS, and "
            "HSTS on every answer."),
    Setting("openshot_api.trusted_proxy", "bool", False, "Believe X-Forwarded-Proto/Host/For of "
            "the proxy in front: links and client addresses are the ones it saw."),
    Setting("openshot_api.page_size", "int", 25, "Results per page of every list.", minimum=1),
    Setting("openshot_api.metrics", "str", "admin", "Who may read GET /metrics (Prometheus text "
            "format): admin (admin users only), public (anyone: for a scraper on a private "
            "network) or off (404).", choices=("off", "admin", "public")),
    Setting("openshot_api.var_dir", "path", "var", "Folder of this instance's own state (session "
            "secret, uploaded fonts)."),
    Setting("openshot_api.work_dir", "path", "", "Scratch folder of downloads and renders (empty: "
            "openshot-api in the system temporary folder)."),
    # Untrusted input: where media is served from, and the limits every user's requests meet.
    Setting("openshot_api.media_url", "str", "", "Origin media links point at instead of this "
            "API's (serving the same keys), so uploads never run on the API's origin."),
    Setting("openshot_api.allow_private_urls", "bool", False, "Let imports and webhooks reach "
            "private or loopback addresses."),
    Setting("openshot_api.download_timeout", "int", 60, "Seconds an import from a URL may wait "
            "for the remote server.", minimum=1),
    Setting("openshot_api.max_download_bytes", "int", 10 * 1024 ** 3, "Largest import from a URL, "
            "in bytes.", minimum=0),
    Setting("openshot_api.max_upload_bytes", "int", 10 * 1024 ** 3, "Largest upload (and total "
            "of an archive's contents), in bytes.", minimum=0),
    Setting("openshot_api.max_json_bytes", "int", 16 * 1024 ** 2, "Largest JSON body or project "
            "json, in bytes.", minimum=0),
    Setting("openshot_api.max_json_depth", "int", 100, "Deepest nesting of a client's JSON.",
            minimum=1),
    Setting("openshot_api.max_export_frames", "int", 216000, "Most frames of one export.",
            minimum=1),
    Setting("openshot_api.max_export_seconds", "int", 7200, "Longest export, in seconds.",
            minimum=1),
    Setting("openshot_api.max_pixels", "int", 7680 * 4320, "Most pixels of a project or export "
            "picture.", minimum=1),
    Setting("openshot_api.max_thumbnail_pixels", "int", 3840 * 2160, "Most pixels of a thumbnail.",
            minimum=1),
    Setting("openshot_api.archive_max_entry_bytes", "int", 10 * 1024 ** 3, "Largest file inside "
            "an uploaded archive, once decompressed, in bytes.", minimum=0),
    Setting("openshot_api.archive_max_ratio", "int", 200, "Highest compression ratio of an "
            "archive entry (a zip bomb is refused).", minimum=1),
    # Thumbnails and probes answered inside requests: how many at once, and how long one may wait.
    Setting("openshot_api.sync_render_slots", "int", 4, "Thumbnails and probes rendered inside "
            "requests at once; keep 2 x this below the server's threads.", minimum=1),
    Setting("openshot_api.sync_render_slots_per_user", "int", 2, "Of those, most held by one "
            "user.", minimum=1),
    Setting("openshot_api.sync_render_wait", "int", 2, "Seconds a request waits for a slot before "
            "a 429 or 503.", minimum=0),
    # Authentication hardening (issue 12).
    # Failed logins (Basic, wrong tokens, /tokens/, the login form) allowed per username, and per
    # client address, within auth_failure_window seconds; past either, that username or address
    # is answered 429 until its window ends. An address gets more room: an office or a NAT puts
    # many people behind one. Behind a proxy, set trusted_proxy so the address is the client's.
    Setting("openshot_api.auth_max_failures", "int", 10, "Failed logins of one username within "
            "auth_failure_window before 429s.", minimum=1),
    Setting("openshot_api.auth_max_failures_per_address", "int", 50, "Failed logins from one "
            "client address within auth_failure_window before 429s.", minimum=1),
    Setting("openshot_api.auth_failure_window", "int", 300, "Seconds over which failed logins are "
            "counted.", minimum=1),
]
_CORE = {setting.key: setting for setting in CORE_SETTINGS}

# The core's defaults as ini strings, for readers that fall back on them.
DEFAULTS = {s.key: s.text(s.default) for s in CORE_SETTINGS if s.default is not None}


def env_key(key):
    """``sqlalchemy.url`` -> ``OPENSHOT_API_SQLALCHEMY_URL``; the ``openshot_api.`` prefix is not
    repeated, so ``openshot_api.storage`` -> ``OPENSHOT_API_STORAGE``."""
    if key.startswith(PREFIX):
        key = key[len(PREFIX):]
    return "OPENSHOT_API_" + key.upper().replace(".", "_").replace("-", "_")


class SettingsRegistry:
    """Every declared key with the plugin that declared it (``core`` for the core's)."""

    def __init__(self):
        self.settings, self.owners = {}, {}

    def add(self, owner, settings):
        for setting in settings or ():
            if not isinstance(setting, Setting):
                raise ConfigurationError(f"plugin {owner} declares {setting!r}, not a Setting")
            if setting.key in self.settings:
                raise ConfigurationError(f"{setting.key} is declared by both {self.owners[setting.key]} "
                                         f"and {owner}")
            self.settings[setting.key], self.owners[setting.key] = setting, owner
        # Two keys answering to one variable could not both be set from the environment.
        by_env = {}
        for key in self.settings:
            other = by_env.setdefault(env_key(key), key)
            if other != key:
                raise ConfigurationError(f"{other} and {key} would both be set by {env_key(key)}")
        return self

    @classmethod
    def from_plugin_manager(cls, pm):
        registry = cls().add("core", CORE_SETTINGS)
        hook = getattr(pm.hook, "openshot_api_settings", None)
        for impl in (hook.get_hookimpls() if hook else ()):
            registry.add(impl.plugin_name, impl.function())
        return registry

    def __contains__(self, key):
        return key in self.settings

    def __iter__(self):
        return iter(self.settings.values())

    def unknown_key_message(self, key, blocked=()):
        """Why ``key`` is refused, with the closest declared key (compared without the common
        ``openshot_api.`` prefix, which would make every key look alike)."""
        known = [k[len(PREFIX):] for k in self.settings]
        close = difflib.get_close_matches(key[len(PREFIX):], known, n=1, cutoff=0.6)
        hint = f"did you mean {PREFIX}{close[0]}?" if close else "no declared setting is named like it"
        message = f"unknown setting {key}: {hint}"
        if blocked:
            message += f" (blocked plugins declare no settings: {', '.join(blocked)})"
        return message


class Settings(dict):
    """The effective settings: ini strings, every declared key completed with its default and its
    ``OPENSHOT_API_*`` variable. ``sources`` says where each value came from (``ini``, ``env``,
    ``default``), ``registry`` holds the declarations and ``plugin_manager`` the plugins they
    came from. A key nobody declares (``sqlalchemy.*`` ...) that the ini lacks is still answered
    from its variable."""

    def __init__(self, data, environ, sources=None, registry=None, plugin_manager=None):
        super().__init__(data)
        self.environ = environ
        self.sources = sources or {}
        self.registry = registry
        self.plugin_manager = plugin_manager

    def __missing__(self, key):
        value = self.environ.get(env_key(key)) if isinstance(key, str) else None
        if value is None:
            raise KeyError(key)
        return value

    def __contains__(self, key):
        return dict.__contains__(self, key) or (isinstance(key, str) and env_key(key) in self.environ)

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default

    def value(self, key):
        """The typed value of a declared key."""
        return self.registry.settings[key].read(self)


def read_settings(settings, environ=None, plugin_manager=None):
    """Return the ini ``settings`` checked against every declared key: overridden from the
    environment (each ini key, and each declared key whether or not the ini names it), completed
    with defaults, each value parsed. Raises ConfigurationError naming the key for an unknown
    ``openshot_api.*`` key (with the closest known one), a wrong value, or two plugins offering
    one backend name. ``plugin_manager`` defaults to one built with the ini's blocklist."""
    from . import plugins
    environ = os.environ if environ is None else environ
    merged, sources = {}, {}
    for key, value in settings.items():
        from_env = environ.get(env_key(key))
        merged[key] = value if from_env is None else from_env
        sources[key] = getattr(settings, "sources", {}).get(key, "ini") if from_env is None else "env"
    blocklist_setting = _CORE["openshot_api.plugins.blocklist"]
    blocked_env = environ.get(env_key(blocklist_setting.key))
    blocked = blocklist_setting.read(
        {blocklist_setting.key: blocked_env} if blocked_env is not None else merged)
    pm = plugin_manager or getattr(settings, "plugin_manager", None) or plugins.make_plugin_manager(blocked)
    plugins.check_backend_names(pm)
    registry = SettingsRegistry.from_plugin_manager(pm)

    unknown = [key for key in merged if key.startswith(PREFIX) and key not in registry]
    if unknown:
        raise ConfigurationError("; ".join(registry.unknown_key_message(key, blocked) for key in unknown))

    problems = []
    for setting in registry:
        key = setting.key
        from_env = environ.get(env_key(key))
        if from_env is not None:
            merged[key], sources[key] = from_env, "env"
        if setting.default is not None and (key not in merged or (
                setting.is_blank(merged[key]) and not setting.allow_empty)):
            merged[key], sources[key] = setting.text(setting.default), "default"
        if key in merged:
            try:
                setting.parse(merged[key]) if not setting.is_blank(merged[key]) else None
            except ConfigurationError as exc:
                problems.append(f"{exc} ({sources[key]})")
    if problems:
        raise ConfigurationError("; ".join(problems))
    return Settings(merged, dict(environ), sources, registry, pm)


def get_int(settings, key):
    """A core key's whole number (its default when unset); other keys: 0 when unset."""
    setting = _CORE.get(key)
    if setting is not None and setting.type == "int":
        return setting.read(settings) or 0
    return int(settings.get(key) or 0)


def get_bool(settings, key):
    """A core key's truth (its default when unset); other keys: false when unset."""
    setting = _CORE.get(key)
    if setting is not None and setting.type == "bool":
        return bool(setting.read(settings))
    return asbool(settings.get(key))


def get_list(settings, key):
    """The words of a list setting (separated by commas, spaces or new lines)."""
    value = settings.get(key)
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if v]
    return [v for v in (value or "").replace(",", " ").split() if v]


def _shown(setting, value):
    if value is None or value == "":
        return "(not set)"
    if setting is not None and setting.secret:
        return MASK
    return _mask_url_password(str(value))


def _mask_url_password(text):
    """``amqp://user:password@host`` -> ``amqp://user:****@host``: URLs carry passwords."""
    return re.sub(r"(//[^/:@\s]*:)[^@/\s]+@", rf"\1{MASK}@", text)


def describe_settings(settings):
    """Every effective setting as text: grouped by the plugin that declares it, each with its
    value (secrets masked), where it came from, its type and default, and its help."""
    registry = settings.registry
    lines = []
    owners = sorted(set(registry.owners.values()), key=lambda owner: (owner != "core", owner))
    for owner in owners:
        lines.append(f"# {owner}")
        for setting in registry:
            if registry.owners[setting.key] != owner:
                continue
            source = settings.sources.get(setting.key, "default")
            lines.append(f"{setting.key} = {_shown(setting, settings.get(setting.key))}  [{source}]")
            default = "none" if setting.default is None else (
                MASK if setting.secret and setting.default else repr(setting.text(setting.default)))
            secret = ", secret" if setting.secret else ""
            lines.append(f"    {setting.help} ({setting.type}, default {default}{secret})")
        lines.append("")
    others = sorted(key for key in settings if not key.startswith(PREFIX))
    if others:
        lines.append("# passed through unchecked (not openshot_api.* settings)")
        for key in others:
            lines.append(f"{key} = {_shown(None, settings[key])}  [{settings.sources.get(key, 'ini')}]")
    return "\n".join(lines) + "\n"
