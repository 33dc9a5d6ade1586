"""/info/: what this instance can do (effects and their properties, loaded plugins)."""
from cornice import Service

from ..plugins import plugin_listing
from ..services import get_services

info = Service(name="info", path="/info/", description="Information about this instance")
info_effects = Service(name="info_effects", path="/info/effects/",
                       description="Every effect with its properties and defaults")
info_plugins = Service(name="info_plugins", path="/info/plugins/", description="Loaded plugins")
info_transitions = Service(name="info_transitions", path="/info/transitions/",
                           description="Built-in transition masks a Mask effect's reader may name")


@info.get()
def info_get(request):
    """Links to what /info/ offers here (plugins may add pages, e.g. fonts)."""
    links = {}
    for name in ("info_effects", "info_fonts", "info_plugins", "info_transitions"):
        try:
            links[name.split("_", 1)[1]] = request.route_url(name)
        except KeyError:  # that plugin is not installed
            pass
    return links


@info_effects.get()
def info_effects_get(request):
    return get_services(request).renderer.effect_types()


@info_plugins.get()
def info_plugins_get(request):
    return plugin_listing(get_services(request).pm)


@info_transitions.get()
def info_transitions_get(request):
    return {"transitions": sorted(get_services(request).renderer.asset_names())}


def includeme(config):
    for service in (info, info_effects, info_plugins, info_transitions):
        config.add_cornice_service(service)
