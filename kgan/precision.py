"""Mixed precision: choosing it, applying Keras' dtype policy while networks are built, and loss
scaling for float16.

Networks keep their last layer (the discriminator's logit convolution, the generator's output
convolution and tanh) in float32, and the losses cast logits to float32, so only the bulk of the
network runs in 16 bits.
"""

import contextlib
import functools

import keras
import tensorflow as tf

from kgan.errors import KganError

PRECISIONS = ("auto", "fp32", "bf16", "fp16")
_POLICIES = {"fp32": "float32", "bf16": "mixed_bfloat16", "fp16": "mixed_float16"}


@functools.cache
def _cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            return set(" ".join(line for line in f if line.startswith("flags")).split())
    except OSError:
        return set()


def _tensor_core_gpus():
    gpus = tf.config.list_physical_devices("GPU")
    capabilities = [tf.config.experimental.get_device_details(gpu).get("compute_capability", (0, 0))
                    for gpu in gpus]
    return bool(gpus) and all(capability >= (7, 0) for capability in capabilities)


def resolve(precision, verbose=False):
    """Turns `auto` into a concrete precision: `fp16` on GPUs with tensor cores, `bf16` on CPUs
    with AVX-512 BF16 (or AMX) instructions, `fp32` elsewhere.

    Raises:
        KganError: an unknown name.
    """
    if precision not in PRECISIONS:
        raise KganError(f"unknown precision {precision!r}; choose one of: {', '.join(PRECISIONS)}")
    if precision != "auto":
        return precision
    if tf.config.list_physical_devices("GPU"):
        chosen, why = ("fp16", "GPUs with tensor cores") if _tensor_core_gpus() else (
            "fp32", "GPUs without tensor cores")
    elif _cpu_flags() & {"avx512_bf16", "amx_bf16"}:
        chosen, why = "bf16", "a CPU with bfloat16 instructions"
    else:
        chosen, why = "fp32", "a CPU without bfloat16 instructions"
    if verbose:
        print(f"Precision: {chosen} (auto: {why})")
    return chosen


@contextlib.contextmanager
def dtype_policy(precision):
    """Sets Keras' global dtype policy for `precision` (`fp32`, `bf16`, `fp16`) while layers are
    created inside the block, then restores the previous one."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(_POLICIES[precision])
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def wrap_optimizer(optimizer, precision):
    """Wraps an optimizer for dynamic loss scaling under float16 (bfloat16 has float32's range
    and needs none). A step whose scaled gradients are not finite is skipped."""
    return keras.optimizers.LossScaleOptimizer(optimizer) if precision == "fp16" else optimizer
