"""Tiny image files written by the tests themselves: palette, RGBA and grayscale sprites."""

import os

import numpy as np
from PIL import Image


def sprite(kind, size=20, seed=0):
    """A small sprite: a coloured square on a transparent (or black) background."""
    rng = np.random.default_rng(seed)
    rgb = np.zeros((size, size, 3), np.uint8)
    rgb[size // 4 : 3 * size // 4, size // 4 : 3 * size // 4] = rng.integers(0, 256, 3)
    if kind == "rgba":
        alpha = np.zeros((size, size), np.uint8)
        alpha[size // 4 : 3 * size // 4, size // 4 : 3 * size // 4] = 255
        return Image.fromarray(np.dstack([rgb, alpha]), "RGBA")
    if kind == "palette":
        image = Image.fromarray(rgb).convert("P", palette=Image.Palette.ADAPTIVE, colors=4)
        image.info["transparency"] = image.getpixel((0, 0))  # the background index
        return image
    return Image.fromarray(rgb).convert("L")


def write_sprite_folder(root, per_species=3, species=("001", "002")):
    """Writes `root/pokemon/<species>/<n>.png` with all three kinds; returns the file count."""
    kinds = ("rgba", "palette", "gray")
    count = 0
    for s, name in enumerate(species):
        os.makedirs(os.path.join(root, "pokemon", name), exist_ok=True)
        for i in range(per_species):
            image = sprite(kinds[i % 3], seed=10 * s + i)
            image.save(os.path.join(root, "pokemon", name, f"{i}.png"))
            count += 1
    return count


def write_image_folder(root, count, size=28, corrupt=0):
    """Writes `count` readable images in nested folders and `corrupt` broken ones."""
    for i in range(count):
        folder = os.path.join(root, f"part{i % 2}")
        os.makedirs(folder, exist_ok=True)
        ext = (".png", ".jpg", ".bmp", ".gif")[i % 4]
        sprite(("rgba", "palette", "gray")[i % 3], size=size, seed=i).convert("RGB").save(
            os.path.join(folder, f"img{i}{ext}"))
    for i in range(corrupt):
        with open(os.path.join(root, f"broken{i}.png"), "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n not really a png")


# Classes that differ in colour and shape, so that one glance (or a small classifier) tells them
# apart: a red square, a green horizontal bar, a blue vertical bar, each on white.
CLASS_SHAPES = {
    "blue-bar": ((0, 0, 255), (14, 4)),
    "green-bar": ((0, 160, 0), (4, 14)),
    "red-square": ((220, 0, 0), (10, 10)),
}


def write_class_folder(root, per_class, size=28, seed=0):
    """Writes `root/<class>/<n>.png` for the `CLASS_SHAPES`, each shape at a random spot."""
    rng = np.random.default_rng(seed)
    for name, (colour, (height, width)) in CLASS_SHAPES.items():
        os.makedirs(os.path.join(root, name), exist_ok=True)
        for i in range(per_class):
            pixels = np.full((size, size, 3), 255, np.uint8)
            top = rng.integers(2, size - height - 1)
            left = rng.integers(2, size - width - 1)
            pixels[top : top + height, left : left + width] = colour
            Image.fromarray(pixels).save(os.path.join(root, name, f"{i}.png"))
