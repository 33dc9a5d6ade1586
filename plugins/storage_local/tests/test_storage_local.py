"""LocalStorage against the storage contract, plus what is special to files on disk."""
import io
import os

import pytest

from openshot_api.interfaces import ConfigurationError
from openshot_api.testing import StorageContract, payload
from openshot_api_storage_local.storage import LocalStorage


class TestLocalStorage(StorageContract):
    @pytest.fixture
    def storage(self, tmp_path):
        return LocalStorage(str(tmp_path / "media"))

    def test_url_is_none_because_the_app_serves_media_itself(self, storage, folder):
        self.save(storage, folder + "a.mp4", b"x")
        assert storage.url(folder + "a.mp4") is None

    def test_local_path_is_the_stored_file_itself(self, storage, folder):
        self.save(storage, folder + "video/a.mp4", b"abc")
        assert storage.local_path(folder + "video/a.mp4") == os.path.join(storage.root, folder, "video", "a.mp4")

    def test_an_interrupted_save_leaves_the_previous_file_and_no_partial_file(self, storage, folder):
        self.save(storage, folder + "a.mp4", b"previous")

        class Broken:
            def read(self, size):
                raise OSError("client went away")

        with pytest.raises(OSError):
            storage.save(folder + "a.mp4", Broken())
        assert open(storage.local_path(folder + "a.mp4"), "rb").read() == b"previous"
        assert os.listdir(os.path.join(storage.root, folder)) == ["a.mp4"]

    def test_keys_cannot_escape_the_root(self, storage):
        for key in ("../outside.txt", "a/../../outside.txt"):
            with pytest.raises(KeyError):
                storage.save(key, io.BytesIO(payload(3)))
        assert not os.path.exists(os.path.join(os.path.dirname(storage.root), "outside.txt"))

    def test_the_root_comes_from_settings_or_the_media_root(self, tmp_path):
        assert LocalStorage.from_settings({"openshot_api.storage.root": str(tmp_path / "r")}).root == str(tmp_path / "r")
        assert LocalStorage.from_settings({"openshot_api.media_root": str(tmp_path / "m")}).root == str(tmp_path / "m")
        with pytest.raises(ConfigurationError, match="openshot_api.storage.root"):
            LocalStorage.from_settings({})
