"""Small helpers for tests: synthetic page images."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw


def png_page(text: str, size: tuple[int, int] = (850, 1100)) -> bytes:
    img = Image.new("L", size, 255)
    ImageDraw.Draw(img).text((60, 80), text, fill=0)
    buf = io.BytesIO()
    img.save(buf, format="PNG", dpi=(100, 100))
    return buf.getvalue()
