"""The plugin manager: built-in hook modules plus everything in the ``openshot_api`` entry-point
group, minus the names listed in ``openshot_api.plugins.blocklist``."""
import importlib

import pluggy

from . import hookspecs

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


def collect(hook_results):
    """Merge the dicts (or lists) returned by every implementation of one hook."""
    merged = {}
    for result in hook_results:
        if isinstance(result, dict):
            for name, value in result.items():
                merged.setdefault(name, value)
        elif result:
            for value in result:
                merged.setdefault(getattr(value, "name", repr(value)), value)
    return merged
