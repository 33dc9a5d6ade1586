"""The plugin manager: built-in hook modules plus everything in the ``openshot_api`` entry-point
group, minus the names listed in ``openshot_api.plugins.blocklist``."""
import importlib

import pluggy

from . import hookspecs
from .interfaces import ConfigurationError

# Core modules that implement hooks themselves (none yet: every backend lives in plugins/).
DEFAULT_PLUGINS: tuple[str, ...] = ()


def make_plugin_manager(blocklist=()):
    """Return a checked PluginManager with the built-ins and the installed plugins loaded."""
    pm = pluggy.PluginManager("openshot_api")
    pm.add_hookspecs(hookspecs)
    for name in blocklist:
        pm.set_blocked(name)
    for module_name in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(module_name), module_name)
    pm.load_setuptools_entrypoints("openshot_api")
    # A misspelt hook name in a plugin fails at start-up instead of being silently ignored.
    pm.check_pending()
    return pm


def plugin_listing(pm):
    """Describe the loaded plugins for ``GET /info/plugins/``."""
    listing = []
    dists = {id(plugin): dist for plugin, dist in pm.list_plugin_distinfo()}
    for name, plugin in sorted(pm.list_name_plugin(), key=lambda item: item[0]):
        if plugin is None:
            continue
        dist = dists.get(id(plugin))
        listing.append({
            "name": name,
            "version": dist.version if dist else None,
            "hooks": sorted(h.name for h in pm.get_hookcallers(plugin) or []),
        })
    return listing


# Hooks whose results are chosen by name: two plugins may not offer the same name.
BACKEND_HOOKS = {
    "openshot_api_storage_backends": "storage backend",
    "openshot_api_renderers": "renderer",
    "openshot_api_transcribers": "transcriber",
    "openshot_api_title_renderers": "title renderer",
    "openshot_api_format_converters": "format converter",
    "openshot_api_cloud_transfers": "cloud transfer",
}


def _named(result):
    if isinstance(result, dict):
        return list(result.items())
    return [(getattr(value, "name", repr(value)), value) for value in result or ()]


def backends(pm, hook_name):
    """``{name: backend}`` over every plugin implementing ``hook_name``. Raises
    ConfigurationError naming both plugins when two offer the same name: which one would be
    used must not depend on the order plugins happen to load in."""
    offered, owners = {}, {}
    # In pluggy's call order (the last registered first), as ``pm.hook.<name>()`` returns them.
    for impl in reversed(getattr(pm.hook, hook_name).get_hookimpls()):
        if getattr(impl, "hookwrapper", False) or getattr(impl, "wrapper", False):
            continue
        for name, value in _named(impl.function()):
            if name in owners and owners[name] != impl.plugin_name:
                raise ConfigurationError(
                    f"plugins {owners[name]} and {impl.plugin_name} both offer the "
                    f"{BACKEND_HOOKS.get(hook_name, hook_name)} {name!r}: remove one, or list it "
                    "in openshot_api.plugins.blocklist")
            offered.setdefault(name, value)
            owners.setdefault(name, impl.plugin_name)
    return offered


def check_backend_names(pm):
    """Raise ConfigurationError when two plugins offer one backend name of any kind."""
    for hook_name in BACKEND_HOOKS:
        backends(pm, hook_name)


def collect(hook_results):
    """Merge the dicts (or lists) returned by every implementation of one hook; two different
    backends under one name are a ConfigurationError (``backends`` names their plugins)."""
    merged = {}
    for result in hook_results:
        for name, value in _named(result):
            if merged.setdefault(name, value) is not value:
                raise ConfigurationError(f"two plugins offer {name!r}: {merged[name]!r} and {value!r}")
    return merged
