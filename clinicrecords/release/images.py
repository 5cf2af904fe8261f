"""Put a stored page image into the packet PDF without losing quality or re-encoding it.

A scanned record must reach the recipient exactly as scanned, and a 500-page release should
not be ten times larger than the scans. So the encoded bytes pass straight through wherever
PDF can carry them: JPEG as DCT, non-interlaced PNG as its own Flate data (PNG predictors are
a PDF filter option), single-strip CCITT Group 4 TIFF as CCITTFax. Anything else is decoded
once with Pillow and stored losslessly (Flate), bilevel pages kept at one bit per pixel.
"""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

from clinicrecords.common.errors import BadInput
from clinicrecords.release.pdfstream import ImageXObject

_PNG_SIG = b"\x89PNG\r\n\x1a\n"


def image_xobject(data: bytes) -> ImageXObject:
    """The PDF form of one page image, passing the encoded bytes through when possible."""
    if data.startswith(_PNG_SIG):
        passed = _png_passthrough(data)
        if passed is not None:
            return passed
    elif data.startswith(b"\xff\xd8"):
        passed = _jpeg_passthrough(data)
        if passed is not None:
            return passed
    elif data[:4] in (b"II*\x00", b"MM\x00*"):
        passed = _tiff_g4_passthrough(data)
        if passed is not None:
            return passed
    return _decoded(data)


def _png_passthrough(data: bytes) -> ImageXObject | None:
    pos = len(_PNG_SIG)
    header = None
    palette = b""
    idat: list[bytes] = []
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunk = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"PLTE":
            palette = chunk
        elif kind == b"tRNS":
            return None  # transparency: let Pillow flatten it
        elif kind == b"IDAT":
            idat.append(chunk)
        elif kind == b"IEND":
            break
    if header is None or not idat:
        return None
    width, height, bits, colour, _compression, _filter, interlace = header
    if interlace or colour not in (0, 2, 3) or bits == 16:
        return None
    colours = 3 if colour == 2 else 1
    if colour == 3:
        if not palette:
            return None
        space = f"[/Indexed /DeviceRGB {len(palette) // 3 - 1} <{palette.hex()}>]"
    else:
        space = "/DeviceRGB" if colour == 2 else "/DeviceGray"
    entries = (
        f"/ColorSpace {space} /BitsPerComponent {bits} /Filter /FlateDecode "
        f"/DecodeParms << /Predictor 15 /Colors {colours} /BitsPerComponent {bits} "
        f"/Columns {width} >>"
    )
    return ImageXObject(width, height, entries, b"".join(idat))


def _jpeg_passthrough(data: bytes) -> ImageXObject | None:
    with Image.open(io.BytesIO(data)) as im:  # reads the header only
        mode, (width, height) = im.mode, im.size
        adobe = "adobe" in im.info
    if mode == "L":
        space = "/DeviceGray"
    elif mode == "RGB":
        space = "/DeviceRGB"
    elif mode == "CMYK":
        # Photoshop-style CMYK JPEGs store inverted values; Pillow flags them with 'adobe'.
        space = "/DeviceCMYK" + (" /Decode [1 0 1 0 1 0 1 0]" if adobe else "")
    else:
        return None
    return ImageXObject(
        width, height, f"/ColorSpace {space} /BitsPerComponent 8 /Filter /DCTDecode", data
    )


def _tiff_g4_passthrough(data: bytes) -> ImageXObject | None:
    with Image.open(io.BytesIO(data)) as im:
        if getattr(im, "n_frames", 1) != 1 or im.info.get("compression") != "group4":
            return None
        tags = im.tag_v2
        offsets, counts = tags.get(273), tags.get(279)
        photometric = tags.get(262, 0)
        fill_order = tags.get(266, 1)
        width, height = im.size
    if not offsets or not counts or len(offsets) != 1 or fill_order != 1:
        return None
    strip = data[offsets[0] : offsets[0] + counts[0]]
    black_is_1 = "true" if photometric == 1 else "false"
    entries = (
        "/ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /CCITTFaxDecode "
        f"/DecodeParms << /K -1 /Columns {width} /Rows {height} /BlackIs1 {black_is_1} >>"
    )
    return ImageXObject(width, height, entries, strip)


def _decoded(data: bytes) -> ImageXObject:
    try:
        im = Image.open(io.BytesIO(data))
        im.load()
    except Exception as exc:  # Pillow raises many kinds for a damaged file
        raise BadInput("A page image could not be read; it may be damaged.") from exc
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        im = flat
    if im.mode == "1":
        # Bilevel: re-encode losslessly as one CCITT G4 strip, the smallest PDF carries.
        buf = io.BytesIO()
        im.save(buf, "TIFF", compression="group4", tiffinfo={278: im.height})
        passed = _tiff_g4_passthrough(buf.getvalue())
        if passed is not None:
            return passed
        space, bits = "/DeviceGray", 1  # Pillow packs 1 bit per pixel, 1 = white, like PDF
    elif im.mode == "L":
        space, bits = "/DeviceGray", 8
    else:
        im = im.convert("RGB")
        space, bits = "/DeviceRGB", 8
    raw = im.tobytes()
    entries = f"/ColorSpace {space} /BitsPerComponent {bits} /Filter /FlateDecode"
    return ImageXObject(im.width, im.height, entries, zlib.compress(raw, 6))
