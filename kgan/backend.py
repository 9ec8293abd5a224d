"""Selects Keras' TensorFlow backend before Keras is imported.

kgan's training step uses `tf.GradientTape`, its data pipelines are `tf.data` and its exports are
TensorFlow SavedModels, so it cannot run on another Keras backend. This module must be imported
before anything imports `keras`.
"""

import os

REQUIRED_BACKEND = "tensorflow"


def require_tensorflow_backend():
    """Sets `KERAS_BACKEND=tensorflow` when unset; raises `ImportError` when another is set."""
    # TensorFlow's C++ info lines drown kgan's own output; users who want them set the variable.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    backend = os.environ.setdefault("KERAS_BACKEND", REQUIRED_BACKEND)
    if backend != REQUIRED_BACKEND:
        raise ImportError(
            f"kgan needs Keras' TensorFlow backend but KERAS_BACKEND={backend}; "
            f"unset it or set KERAS_BACKEND={REQUIRED_BACKEND}."
        )
