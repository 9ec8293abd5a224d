"""Selects Keras' TensorFlow backend before Keras is imported, and starts TensorFlow quietly.

kgan's training step uses `tf.GradientTape`, its data pipelines are `tf.data` and its exports are
TensorFlow SavedModels, so it cannot run on another Keras backend. This module must be imported
before anything imports `keras`.

Starting TensorFlow prints C++ log lines that `TF_CPP_MIN_LOG_LEVEL` does not silence (absl's
"All log messages before absl::InitializeLog()" and, without a GPU, "failed call to cuInit").
Unless the user set `TF_CPP_MIN_LOG_LEVEL` themselves, kgan captures standard error while
TensorFlow loads and finds its devices, and writes back every line except these known start-up
lines, which stay in `SUPPRESSED` (`kgan --verbose` prints them).
"""

import contextlib
import os
import re
import sys
import tempfile

REQUIRED_BACKEND = "tensorflow"

# Start-up lines of a GPU-less machine that say nothing a kgan user can act on.
_START_UP_NOISE = re.compile(
    r"All log messages before absl::InitializeLog\(\) is called"
    r"|cuda_platform\.cc:\d+\] failed call to cuInit"
    r"|cudart_stub\.cc:\d+\] Could not find cuda drivers"
    r"|cpu_feature_guard\.cc:\d+\]"
    r"|^To enable the following instructions: .* rebuild TensorFlow"
)

SUPPRESSED = []
"""The start-up lines kgan kept off standard error."""


def require_tensorflow_backend():
    """Sets `KERAS_BACKEND=tensorflow` when unset, raises `ImportError` when another is set,
    and imports TensorFlow quietly (see the module docstring)."""
    backend = os.environ.setdefault("KERAS_BACKEND", REQUIRED_BACKEND)
    if backend != REQUIRED_BACKEND:
        raise ImportError(
            f"kgan needs Keras' TensorFlow backend but KERAS_BACKEND={backend}; "
            f"unset it or set KERAS_BACKEND={REQUIRED_BACKEND}."
        )
    if "tensorflow" in sys.modules or "TF_CPP_MIN_LOG_LEVEL" in os.environ:
        return  # already started, or the user chose what to see
    # TensorFlow's C++ info lines drown kgan's own output; warnings and errors still show.
    # TensorFlow reads the level once, so the variable goes again: child processes (tests,
    # workers) then decide for themselves.
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "1"
    try:
        with _filtered_stderr(_START_UP_NOISE, SUPPRESSED):
            import tensorflow as tf

            tf.config.list_physical_devices()  # finding the devices prints the cuInit line
    finally:
        del os.environ["TF_CPP_MIN_LOG_LEVEL"]


@contextlib.contextmanager
def _filtered_stderr(noise, suppressed):
    """Captures file descriptor 2 (C++ writes there directly) for the block, then writes back
    every captured line that `noise` does not match and appends the others to `suppressed`."""
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
            for line in capture.read().decode(errors="replace").splitlines(keepends=True):
                if noise.search(line):
                    suppressed.append(line)
                else:
                    sys.stderr.write(line)
            sys.stderr.flush()
