"""The photo test project: tests/fixtures/photos/source with the shipped styles, and
raster pictures generated here with Pillow (kept out of git: the large one is 4000 ×
3000 px): PNG with and without transparency, JPEG and GIF, each both in Markdown and as
a group picture."""

from __future__ import annotations

import shutil
from pathlib import Path

from PIL import Image, ImageDraw

REPO = Path(__file__).resolve().parent.parent
PHOTOS = REPO / "tests" / "fixtures" / "photos"
STEM = "verkstad-photos-1.0.0"


def _photo(size: tuple[int, int], mode: str, seed: int) -> Image.Image:
    """A smooth, deterministic picture (gradients and shapes; compresses well)."""
    width, height = size
    gradient = Image.linear_gradient("L").resize(size)
    radial = Image.radial_gradient("L").resize(size)
    bands = [gradient, radial, gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT)]
    image = Image.merge("RGB", [bands[(seed + i) % 3] for i in range(3)])
    draw = ImageDraw.Draw(image)
    for i in range(6):
        x, y = (seed * 97 + i * 211) % width, (seed * 53 + i * 149) % height
        r = min(width, height) // (6 + i)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(40 * i % 256, 90, 160))
    if mode == "RGBA":
        image.putalpha(radial.point(lambda v: 255 - v // 2))
    return image


def make_pictures(images: Path) -> None:
    images.mkdir(parents=True, exist_ok=True)
    _photo((4000, 3000), "RGB", 1).save(images / "hall.png", optimize=False)
    _photo((300, 200), "RGBA", 2).save(images / "detail.png")
    _photo((1600, 1200), "RGB", 3).save(images / "board.jpg", quality=85)
    _photo((400, 400), "RGB", 4).convert("P", palette=Image.Palette.ADAPTIVE).save(
        images / "team.gif"
    )
    _photo((500, 500), "RGBA", 5).save(images / "mark.png")
    _photo((1800, 4800), "RGB", 6).save(images / "tower.png")  # taller than a page
    _photo((1200, 800), "RGB", 7).convert("P", palette=Image.Palette.ADAPTIVE).save(
        images / "chart.gif"
    )
    _photo((500, 400), "RGB", 8).save(images / "notes.jpg", quality=85)


def make_photo_project(root: Path) -> Path:
    """The photo project in `root`: its content, the shipped styles, fresh pictures."""
    shutil.copytree(PHOTOS / "source", root / "source")
    shutil.copytree(REPO / "styles", root / "styles")
    make_pictures(root / "source" / "images")
    return root
