"""Draws the program's icon (resources/clinicrecords.png and .ico) from the same shapes as
resources/clinicrecords.svg: a teal rounded square, a white record folder and a teal cross.

Run once when the design changes (the outputs are committed; the build does not need Pillow
to draw): ``python installer/make_icon.py``.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parents[1] / "resources"
TEAL = (17, 110, 124, 255)
WHITE = (255, 255, 255, 255)


def draw(size: int = 256) -> Image.Image:
    s = size / 256
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle((8 * s, 8 * s, 248 * s, 248 * s), radius=44 * s, fill=TEAL)
    d.rounded_rectangle((52 * s, 60 * s, 124 * s, 92 * s), radius=10 * s, fill=WHITE)  # tab
    d.rounded_rectangle((52 * s, 76 * s, 204 * s, 204 * s), radius=14 * s, fill=WHITE)
    d.rectangle((116 * s, 100 * s, 140 * s, 180 * s), fill=TEAL)
    d.rectangle((88 * s, 128 * s, 168 * s, 152 * s), fill=TEAL)
    return img


def main() -> None:
    icon = draw(256)
    icon.save(OUT / "clinicrecords.png")
    icon.save(OUT / "clinicrecords.ico", sizes=[(16, 16), (32, 32), (48, 48), (64, 64), (256, 256)])


if __name__ == "__main__":
    main()
