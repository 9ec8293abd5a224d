"""kgan: generative adversarial networks in Keras 3, served with TensorFlow Serving.

The public API: `GAN` (a `keras.Model`), presets, data sets, callbacks and run-level training.
"""

from kgan.backend import require_tensorflow_backend

require_tensorflow_backend()

# The backend is set: Keras may be imported now.
from kgan import losses  # noqa: E402
from kgan.callbacks import Checkpoint, LossPlot, Progress, SampleGrid, StopOnNaN  # noqa: E402
from kgan.data import load_dataset  # noqa: E402
from kgan.errors import KganError  # noqa: E402
from kgan.export import export_generator  # noqa: E402
from kgan.gan import GAN, latent_batch  # noqa: E402
from kgan.presets import PRESETS, Preset, get_preset  # noqa: E402
from kgan.train import fit, resume  # noqa: E402

__version__ = "0.1.0"
__all__ = [
    "GAN",
    "PRESETS",
    "Checkpoint",
    "KganError",
    "LossPlot",
    "Preset",
    "Progress",
    "SampleGrid",
    "StopOnNaN",
    "export_generator",
    "fit",
    "get_preset",
    "latent_batch",
    "load_dataset",
    "losses",
    "resume",
    "__version__",
]
