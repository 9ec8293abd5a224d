"""kgan: generative adversarial networks in Keras 3, served with TensorFlow Serving.

The public API: `GAN` (a `keras.Model`), presets, data sets, callbacks and run-level training.
"""

from kgan.backend import require_tensorflow_backend

require_tensorflow_backend()

# The backend is set: Keras may be imported now.
from kgan import losses
from kgan.callbacks import Cadence, Checkpoint, LossPlot, Progress, SampleGrid, StopOnNaN
from kgan.data import load_dataset
from kgan.errors import KganError
from kgan.export import export_generator
from kgan.gan import GAN
from kgan.latents import latent_batch
from kgan.nets.builder import build_gan
from kgan.presets import PRESETS, Preset, get_preset
from kgan.train import fit, resume
from kgan.walks import interpolate

__version__ = "0.1.0"
__all__ = [
    "GAN",
    "PRESETS",
    "Cadence",
    "Checkpoint",
    "KganError",
    "LossPlot",
    "Preset",
    "Progress",
    "SampleGrid",
    "StopOnNaN",
    "__version__",
    "build_gan",
    "export_generator",
    "fit",
    "get_preset",
    "interpolate",
    "latent_batch",
    "load_dataset",
    "losses",
    "resume",
]
