import os
import shutil
import tempfile

from openshot_api.interfaces import ConfigurationError, Storage
from openshot_api.settings import Setting, SettingGroup

CHUNK = 1024 * 1024
PREFIX = "openshot_api.storage."

SETTINGS = SettingGroup(
    PREFIX,
    Setting(PREFIX + "root", "path", None, "Folder of media and renders (required with "
            "openshot_api.storage = local)."),
)
# The older name of the root, still read when the new one is not set.
MEDIA_ROOT = Setting("openshot_api.media_root", "path", None, "Older name of "
                     "openshot_api.storage.root, read when that is not set.")


class LocalStorage(Storage):
    """Objects are files under one root folder; the key is the path below it."""

    name = "local"

    def __init__(self, root):
        self.root = os.path.realpath(root)
        os.makedirs(self.root, exist_ok=True)

    @classmethod
    def from_settings(cls, settings, prefix="openshot_api.storage."):
        root = SETTINGS.read(settings, "root", prefix) or MEDIA_ROOT.read(settings)
        if not root:
            raise ConfigurationError(f"{prefix}root is required for local storage")
        return cls(root)

    def _path(self, key):
        # The core builds safe keys; this check keeps a bug there from escaping the root.
        path = os.path.realpath(os.path.join(self.root, key))
        if path != self.root and not path.startswith(self.root + os.sep):
            raise KeyError(key)
        return path

    def save(self, key, stream, content_type=None):
        path = self._path(key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        size = 0
        # Write to a temporary name first so a reader never sees half a file.
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                while True:
                    chunk = stream.read(CHUNK)
                    if not chunk:
                        break
                    out.write(chunk)
                    size += len(chunk)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        return size

    def open(self, key):
        try:
            return open(self._path(key), "rb")
        except FileNotFoundError:
            raise KeyError(key) from None

    def size(self, key):
        try:
            return os.path.getsize(self._path(key))
        except FileNotFoundError:
            raise KeyError(key) from None

    def exists(self, key):
        try:
            return os.path.isfile(self._path(key))
        except KeyError:
            return False

    def delete(self, key):
        try:
            os.unlink(self._path(key))
        except (FileNotFoundError, KeyError):
            pass

    def copy(self, src, dst):
        src_path, dst_path = self._path(src), self._path(dst)
        if not os.path.isfile(src_path):
            raise KeyError(src)
        os.makedirs(os.path.dirname(dst_path), exist_ok=True)
        # Through a temporary name, like save(): a reader never sees half a copy.
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(dst_path), prefix=".upload-")
        os.close(fd)
        try:
            shutil.copyfile(src_path, tmp)
            os.replace(tmp, dst_path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def list(self, prefix):
        try:
            base = self._path(prefix.rsplit("/", 1)[0]) if "/" in prefix else self.root
        except KeyError:
            return
        if not os.path.isdir(base):
            return
        for dirpath, _dirs, files in os.walk(base):
            for name in files:
                full = os.path.join(dirpath, name)
                key = os.path.relpath(full, self.root).replace(os.sep, "/")
                if key.startswith(prefix) and not name.startswith(".upload-"):
                    yield key, os.path.getsize(full)

    def url(self, key):
        return None

    def local_path(self, key):
        path = self._path(key)
        if not os.path.isfile(path):
            raise KeyError(key)
        return path
