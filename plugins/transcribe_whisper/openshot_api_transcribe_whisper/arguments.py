"""The request's Whisper ``args``: checking them and mapping them to faster-whisper's names.

Clients send the argument names of OpenAI's ``whisper`` (the spec's example: ``device``,
``fp16``, ``logprob_threshold`` ...); faster-whisper spells a few differently and takes the
device and precision when the model is loaded rather than per call.
"""
import re

#: Arguments that choose how the model is loaded, not how it decodes.
LOAD_ARGS = ("device", "fp16")

#: OpenAI whisper name -> faster-whisper name, where they differ.
RENAMED = {"logprob_threshold": "log_prob_threshold"}

DEVICE = re.compile(r"^(cpu|cuda|auto)(?::(\d{1,2}))?$")


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _device(value):
    if not isinstance(value, str) or not DEVICE.match(value) or value.startswith(("cpu:", "auto:")):
        return "must be 'cpu', 'cuda', 'cuda:N' or 'auto'"
    return None


def _boolean(value):
    return None if isinstance(value, bool) else "must be true or false"


def _number_or_null(value):
    return None if value is None or _is_number(value) else "must be a number or null"


def _number(value):
    return None if _is_number(value) else "must be a number"


def _positive_number(value):
    return None if _is_number(value) and value > 0 else "must be a number above 0"


def _count(value):
    ok = isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 50
    return None if ok else "must be a whole number from 1 to 50"


def _temperature(value):
    values = value if isinstance(value, list) and value else [value]
    ok = all(_is_number(v) and 0 <= v <= 2 for v in values)
    return None if ok else "must be a number from 0 to 2, or a list of them"


def _text_or_null(value):
    return None if value is None or isinstance(value, str) else "must be text or null"


#: faster-whisper's voice-activity options (Silero VAD, shipped inside faster-whisper).
VAD_PARAMETERS = ("threshold", "neg_threshold", "min_speech_duration_ms", "max_speech_duration_s",
                  "min_silence_duration_ms", "speech_pad_ms")


def _vad_parameters(value):
    if value is None:
        return None
    if not isinstance(value, dict) or any(k not in VAD_PARAMETERS or not _is_number(v) for k, v in value.items()):
        return f"must be an object of numbers named {', '.join(VAD_PARAMETERS)}"
    return None


#: Every argument understood, with the check of its value.
ARGUMENTS = {
    "device": _device,
    "fp16": _boolean,
    "compression_ratio_threshold": _number_or_null,
    "logprob_threshold": _number_or_null,
    "no_speech_threshold": _number_or_null,
    "condition_on_previous_text": _boolean,
    "beam_size": _count,
    "best_of": _count,
    "temperature": _temperature,
    "patience": _positive_number,
    "length_penalty": _number,
    "initial_prompt": _text_or_null,
    "vad_filter": _boolean,
    "vad_parameters": _vad_parameters,
}


def check_args(args):
    """Return None when every argument in ``args`` is known and has a valid value, else a
    message naming the first bad one (unknown names are all listed)."""
    if args is None:
        return None
    if not isinstance(args, dict):
        return "args must be an object of Whisper arguments"
    unknown = sorted(set(args) - set(ARGUMENTS))
    if unknown:
        return (f"unknown Whisper argument(s): {', '.join(unknown)} "
                f"(known: {', '.join(ARGUMENTS)})")
    for name, value in args.items():
        problem = ARGUMENTS[name](value)
        if problem:
            return f"argument {name} {problem}"
    return None


def decode_options(args):
    """Return the keyword arguments of faster-whisper's ``transcribe`` for checked ``args``."""
    options = {}
    for name, value in (args or {}).items():
        if name in LOAD_ARGS:
            continue
        if name == "temperature" and isinstance(value, list):
            value = tuple(value)
        options[RENAMED.get(name, name)] = value
    return options


def resolve_device(requested):
    """Return ``(device, index)`` for a checked device name; ``auto`` picks CUDA when there is a
    GPU. The device may still be one this machine lacks: see ``device_problem``."""
    import ctranslate2  # imported on use: see models.known_models
    kind, index = DEVICE.match(requested).groups()
    if kind == "auto":
        kind = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    return kind, int(index or 0)


def device_problem(device, index):
    """Return None when ``device`` number ``index`` exists on this machine, else a message."""
    if device != "cuda":
        return None
    import ctranslate2
    count = ctranslate2.get_cuda_device_count()
    if count == 0:
        return "device cuda was asked for but this server has no CUDA GPU; use device cpu"
    if index >= count:
        return f"device cuda:{index} was asked for but this server has {count} CUDA GPU(s)"
    return None


def compute_type(device, fp16):
    """Return the CTranslate2 compute type for ``fp16`` on ``device``.

    Half precision on a GPU is float16; CPUs have no fast float16, so ``fp16`` (Whisper's
    default) there means 8-bit weights (int8), the quick CPU path; ``fp16: false`` is float32.
    """
    import ctranslate2
    if not fp16:
        return "float32"
    wanted = "float16" if device == "cuda" else "int8"
    supported = ctranslate2.get_supported_compute_types(device)
    return wanted if wanted in supported else "float32"
