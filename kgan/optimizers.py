"""Adam and AdamW whose moving average of the weights ramps its horizon up with the step count.

Keras' `use_ema` averages with one fixed decay from the first step on. With a decay of 0.999 the
average remembers about a thousand steps, so after a few hundred it is still mostly the
untrained weights of step 0. Here the average's half-life is at most `ema_rampup` times the
steps taken so far (StyleGAN2-ADA's `ema_rampup`, Karras et al. 2020), and never longer than the
decay's own: early on it averages over recent steps only, later over the decay's full horizon.
"""

import keras
from keras import ops


def ema_decay(step, decay, rampup):
    """The moving average's decay at iteration `step` (counting from 0).

    `min(decay, 0.5 ** (1 / (rampup * step)))`: a half-life of `rampup * step` steps, capped by
    `decay`. At step 0 it is 0, so the average starts as a copy of the weights.

    Args:
        step: the optimizer's iteration count (a scalar tensor or number).
        decay: the largest decay, e.g. 0.999.
        rampup: the half-life's share of the steps taken; `None` or 0 keeps `decay` from the
            second step on, as Keras does.
    """
    step = ops.cast(step, "float32")
    if not rampup:
        return ops.where(step > 0, decay, 0.0)
    half_life = rampup * step
    ramped = ops.where(half_life > 0, 0.5 ** (1.0 / ops.maximum(half_life, 1e-8)), 0.0)
    return ops.minimum(decay, ramped)


class _RampedAverage:
    """Replaces Keras' fixed-decay update of the weight average with `ema_decay`'s."""

    def __init__(self, *args, ema_rampup=0.05, **kwargs):
        super().__init__(*args, **kwargs)
        self.ema_rampup = ema_rampup

    def _update_model_variables_moving_average(self, trainable_variables):
        if not self.use_ema:
            return
        decay = ema_decay(self.iterations, self.ema_momentum, self.ema_rampup)
        for variable, average in zip(trainable_variables, self._model_variables_moving_average):
            if average is not None:
                momentum = ops.cast(decay, variable.dtype)
                average.assign(momentum * average + (1.0 - momentum) * variable)

    def get_config(self):
        """Keras' config and `ema_rampup`."""
        return {**super().get_config(), "ema_rampup": self.ema_rampup}


@keras.saving.register_keras_serializable(package="kgan")
class Adam(_RampedAverage, keras.optimizers.Adam):
    """`keras.optimizers.Adam` with a ramped weight average (see the module docstring).

    Args:
        ema_rampup: the average's half-life as a share of the steps taken (0.05); `None`
            keeps Keras' fixed decay.
        *args, **kwargs: `keras.optimizers.Adam`'s.
    """


@keras.saving.register_keras_serializable(package="kgan")
class AdamW(_RampedAverage, keras.optimizers.AdamW):
    """`keras.optimizers.AdamW` with a ramped weight average (see the module docstring).

    Args:
        ema_rampup: the average's half-life as a share of the steps taken (0.05); `None`
            keeps Keras' fixed decay.
        *args, **kwargs: `keras.optimizers.AdamW`'s.
    """
