"""`Examples`: a data set held in memory, with its class labels when it has them."""

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class Examples:
    """A data set in memory.

    Attributes:
        values: `[n, ...]`: uint8 images or float32 points.
        labels: int32 `[n]` class indices, or `None` for a data set without classes.
        class_names: the name of each class index (empty without labels).
    """

    values: np.ndarray
    labels: np.ndarray | None = None
    class_names: tuple = ()

    @classmethod
    def from_names(cls, values, names):
        """Labels from per-example class names: the classes are the sorted distinct names."""
        class_names, labels = np.unique(np.asarray(names, dtype=str), return_inverse=True)
        return cls(values, labels.astype(np.int32), tuple(class_names.tolist()))

    def __len__(self):
        return len(self.values)
