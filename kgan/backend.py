"""Selects Keras' TensorFlow backend before Keras is imported, and starts TensorFlow quietly
and with oneDNN's CPU kernels.

kgan's training step uses `tf.GradientTape`, its data pipelines are `tf.data` and its exports are
TensorFlow SavedModels, so it cannot run on another Keras backend. This module must be imported
before anything imports `keras`.

Loading TensorFlow prints C++ log lines about the build and the machine (oneDNN, CUDA, CPU
instructions), some of them twice, one copy per shared library. Most are written before
`absl::InitializeLog()` runs, and absl then ignores `TF_CPP_MIN_LOG_LEVEL` (abseil-cpp pull
request 1957 is still open), so no setting made before the load silences them. kgan therefore
holds standard error while TensorFlow loads and finds its devices, and writes back only the C++
log lines at or above the start-up level: `TF_CPP_MIN_LOG_LEVEL` when the user set it, else 3
(none of them). Every line that is not a C++ log line goes through untouched; the lines kept
back stay in `SUPPRESSED` (`kgan --verbose` prints them).

TensorFlow's x86 builds run convolutions with oneDNN only on CPUs with AVX512_VNNI, AVX512_BF16
or AMX, and with its Eigen kernels on the others. On a 2-core AMD EPYC without AVX-512 oneDNN
made the 64x64 DCGAN's fp32 training step 1.77x as fast (scripts/RESULTS.md, "The training
step"), so kgan turns it on (`TF_ENABLE_ONEDNN_OPTS=1`) on every x86 CPU unless the user set
the variable.
"""

import contextlib
import os
import platform
import re
import sys
import tempfile

REQUIRED_BACKEND = "tensorflow"

# absl's and TensorFlow's C++ log formats: "I0000 00:00:1796321796.841760 2354 port.cc:153] ..."
# (absl prints seconds since 1970 before it is initialised) and
# "2025-09-17 14:44:05.157831: I external/.../cudart_stub.cc:32] ...". The letter is the severity.
_LOG_LINE = re.compile(
    r"^(?:(?P<absl>[IWEF])\d{4} [\d:.]+ +\d+ \S+:\d+\]"
    r"|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: (?P<tf>[IWEF]) \S+:\d+\])"
)
# absl's notice that the lines after it bypass its settings: a warning about the log itself.
_ABSL_NOTICE = "WARNING: All log messages before absl::InitializeLog() is called"
_SEVERITY = {"I": 0, "W": 1, "E": 2, "F": 3}
# A Python warning ("path.py:12: DeprecationWarning: ...") starts a message of its own.
_PYTHON_WARNING = re.compile(r"^\S+:\d+: \w*Warning: ")
# Start-up lines say nothing a kgan user can act on: by default only a fatal one shows.
_DEFAULT_START_UP_LEVEL = 3
ONEDNN_ENV = "TF_ENABLE_ONEDNN_OPTS"
# oneDNN's x86 kernels; TensorFlow's ARM builds choose their own.
_ONEDNN_MACHINES = ("x86_64", "amd64", "i686", "i386")

SUPPRESSED = []
"""The start-up lines kgan kept off standard error."""


def require_tensorflow_backend():
    """Sets `KERAS_BACKEND=tensorflow` when unset, raises `ImportError` when another is set,
    and starts TensorFlow quietly (see the module docstring)."""
    backend = os.environ.setdefault("KERAS_BACKEND", REQUIRED_BACKEND)
    if backend != REQUIRED_BACKEND:
        raise ImportError(
            f"kgan needs Keras' TensorFlow backend but KERAS_BACKEND={backend}; "
            f"unset it or set KERAS_BACKEND={REQUIRED_BACKEND}."
        )
    if "tensorflow" in sys.modules:
        return  # already started: its lines are out
    user_level = os.environ.get("TF_CPP_MIN_LOG_LEVEL")
    level = _DEFAULT_START_UP_LEVEL if user_level is None else _level(user_level)
    # TensorFlow reads both variables as it loads, so kgan's values go again afterwards: child
    # processes (tests, workers, a plain TensorFlow program) then decide for themselves.
    loading = {}
    if user_level is None:
        # TensorFlow's own (post-initialisation) info lines drown kgan's output; warnings and
        # errors of the run still show.
        loading["TF_CPP_MIN_LOG_LEVEL"] = "1"
    if ONEDNN_ENV not in os.environ and platform.machine().lower() in _ONEDNN_MACHINES:
        loading[ONEDNN_ENV] = "1"
    os.environ.update(loading)
    try:
        with _held_stderr(level, SUPPRESSED):
            import tensorflow as tf

            # Finding the devices prints the cuInit line. Nothing may run yet: logical devices
            # (`--replicas`) can only be configured before TensorFlow's context starts.
            tf.config.list_physical_devices()
    finally:
        for name in loading:
            del os.environ[name]


def _level(text):
    """`TF_CPP_MIN_LOG_LEVEL`'s value as a severity (TensorFlow reads a bad value as 0)."""
    return int(text) if text.strip().isdigit() else 0


def severity(line):
    """The severity of a C++ log line (0 info to 3 fatal), or `None` for any other line."""
    if line.startswith(_ABSL_NOTICE):
        return _SEVERITY["W"]
    match = _LOG_LINE.match(line)
    return _SEVERITY[match.group("absl") or match.group("tf")] if match else None


def start_up_lines_kept(text, level):
    """Splits captured start-up output into `(shown, kept_back)` lists of lines: C++ log lines
    below `level` are kept back, with the lines that continue their message (a C++ message may
    span lines); every other line is shown."""
    shown, kept_back = [], []
    holding = False
    for line in text.splitlines(keepends=True):
        level_of_line = severity(line)
        if level_of_line is not None:
            holding = level_of_line < level
        elif _PYTHON_WARNING.match(line):
            holding = False
        (kept_back if holding else shown).append(line)
    return shown, kept_back


@contextlib.contextmanager
def _held_stderr(level, suppressed):
    """Captures file descriptor 2 (C++ writes there directly) for the block, then writes back
    what `start_up_lines_kept` shows and appends the rest to `suppressed`."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            shown, kept_back = start_up_lines_kept(capture.read().decode(errors="replace"), level)
            suppressed.extend(kept_back)
            sys.stderr.writelines(shown)
            sys.stderr.flush()
