"""Pictures: image grids, image files, 2D scatters, loss curves and animations.

Matplotlib is used through `Figure` objects only (no pyplot), so nothing here touches a display
or a user's interactive backend.
"""

import math
import os

import numpy as np
from keras import ops
from PIL import Image

from kgan.data.pipeline import to_uint8


def image_grid(images, columns=None):
    """Tiles `[n, h, w, c]` images in [-1, 1] into one uint8 picture, row by row.

    Args:
        images: the images; one channel is kept as grayscale.
        columns: images per row; defaults to the smallest square that holds them.

    Returns:
        A uint8 array `[rows * h, columns * w, c]`.
    """
    pixels = ops.convert_to_numpy(to_uint8(images))
    n, h, w, c = pixels.shape
    columns = columns or math.ceil(math.sqrt(n))
    rows = math.ceil(n / columns)
    grid = np.full((rows * h, columns * w, c), 255, np.uint8)
    for i, image in enumerate(pixels):
        row, col = divmod(i, columns)
        grid[row * h : (row + 1) * h, col * w : (col + 1) * w] = image
    return grid


def save_samples(samples, path, real=None, title=None, columns=None, labels=None,
                 class_names=()):
    """Saves generator output as a picture: a grid for images, a scatter for 2D points.

    Args:
        samples: `[n, h, w, c]` images or `[n, 2]` points.
        path: the PNG file to write.
        real: real points to draw beside 2D samples.
        title: a caption for 2D scatters.
        columns: images per row of a grid (default: a square).
        labels: the class of each 2D sample: the scatter colours them by class.
        class_names: the classes' names, for the scatter's legend.
    """
    samples = np.asarray(samples)
    if samples.ndim == 4:
        _picture(image_grid(samples, columns)).save(path)
        return
    figure = _figure((4.5, 4.5))
    axes = figure.add_subplot()
    if real is not None:
        axes.scatter(real[:, 0], real[:, 1], s=4, alpha=0.5, label="real",
                     color="lightgray" if labels is not None else "tab:blue")
    if labels is None:
        axes.scatter(samples[:, 0], samples[:, 1], s=4, alpha=0.5, label="generated",
                     color="tab:orange")
    else:
        for label in np.unique(labels):
            name = class_names[label] if len(class_names) > label else str(label)
            points = samples[labels == label]
            axes.scatter(points[:, 0], points[:, 1], s=4, alpha=0.5, label=f"generated {name}")
    axes.legend(loc="upper left", fontsize="small")
    if title:
        axes.set_title(title)
    figure.savefig(path, dpi=100)


def save_loss_plot(history, path):
    """Plots per-epoch losses and the discriminator's accuracies.

    Args:
        history: metric name -> list of per-epoch values (`d_loss`, `g_loss`, `d_real_acc`,
            `d_fake_acc`; missing ones are skipped).
        path: the PNG file to write.
    """
    figure = _figure((9, 3.5))
    losses, accuracies = figure.subplots(1, 2)
    for axes, names in ((losses, ("d_loss", "g_loss")), (accuracies, ("d_real_acc", "d_fake_acc"))):
        for name in names:
            values = history.get(name, [])
            axes.plot(range(1, len(values) + 1), values, label=name)
        axes.set_xlabel("epoch")
        axes.legend()
    accuracies.axhline(0.5, color="gray", linestyle=":", linewidth=1)
    losses.set_title("losses")
    accuracies.set_title("discriminator accuracy")
    # Fixed margins: tight_layout measures every text and took a third of the plot's time.
    figure.subplots_adjust(left=0.07, right=0.98, bottom=0.14, top=0.9, wspace=0.2)
    figure.savefig(path, dpi=100)


def save_images(images, folder):
    """Writes `[n, h, w, c]` images in [-1, 1] to `folder` (made if missing) as one PNG each,
    numbered from 0 in their order (`0000.png`, `0001.png`, ...)."""
    os.makedirs(folder, exist_ok=True)
    pixels = ops.convert_to_numpy(to_uint8(images))
    width = max(4, len(str(len(pixels) - 1)))
    for i, image in enumerate(pixels):
        _picture(image).save(os.path.join(folder, f"{i:0{width}d}.png"))


def save_animation(frames, path, frame_ms=300):
    """Writes an animated GIF that loops; the last frame lingers five frames' time.

    Args:
        frames: PNG file paths, or uint8 pictures `[h, w, c]`.
        path: the GIF file.
        frame_ms: how long each frame shows.
    """
    pictures = [Image.open(frame).convert("RGB") if isinstance(frame, str) else _picture(frame)
                for frame in frames]
    durations = [frame_ms] * (len(pictures) - 1) + [frame_ms * 5]
    pictures[0].save(path, save_all=True, append_images=pictures[1:], duration=durations, loop=0)


def _picture(pixels):
    """A PIL image of uint8 pixels `[h, w, c]`; one channel becomes grayscale."""
    return Image.fromarray(pixels[..., 0] if pixels.shape[-1] == 1 else pixels)


def _figure(size):
    """A matplotlib `Figure`. Matplotlib is imported here, not with the module, so that using
    kgan for export or serving never loads it."""
    from matplotlib.figure import Figure

    return Figure(figsize=size)
