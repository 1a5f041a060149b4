"""Images (PNG, JPEG, GIF's first frame, BMP, WebP, TIFF) as half-block cells.

Each terminal cell draws two pixels: ``▀`` in the top pixel's colour over the
bottom pixel's colour as background. That works over SSH and inside tmux, where
terminal graphics protocols (kitty, sixel) do not.

Decoding uses Pillow, imported only when an image is shown (it costs no start-up
time). A pure-Python PNG decoder was measured and rejected: un-filtering the
rows of a 4000x3000 PNG in Python takes tens of seconds against a 0.5 s target,
and JPEG (sample predictions) is out of reach entirely. JPEGs are decoded at a
reduced scale (``draft``), every image is shrunk to a small thumbnail once, and
the cells for the pane's size are made from that thumbnail on each resize.
An image bigger than :data:`MAX_PIXELS`, truncated or corrupt is one line.
"""

from __future__ import annotations

import io
import warnings
from typing import Any

from ..textfmt import safe_text
from .preview_types import RGB, ImagePreview, MessagePreview, Preview, Thumbnail

THUMBNAIL_BOX = (480, 360)
"""Pixels kept after decoding: more than any pane shows with half-blocks."""
MAX_PIXELS = 100_000_000
"""Width x height beyond which an image is not decoded (a decompression bomb)."""
BACKGROUND = (18, 18, 18)
"""What transparent pixels are drawn over (close to a dark terminal's background)."""


def _flatten(img: Any) -> Any:
    """An RGB image, transparent parts over :data:`BACKGROUND`."""
    from PIL import Image

    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        base = Image.new("RGBA", rgba.size, (*BACKGROUND, 255))
        base.alpha_composite(rgba)
        return base.convert("RGB")
    if img.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        # 16-bit and float greyscale: scale to 8 bits rather than clip to white
        low, high = img.getextrema()
        span = (high - low) or 1
        return img.point(lambda v: (v - low) * 255 / span).convert("L").convert("RGB")
    return img.convert("RGB")


def image_preview(path: str, size: int, data: bytes, kind: str) -> Preview:
    """Decode ``data`` (the whole file) to a thumbnail, or say in one line why not."""
    try:
        from PIL import Image
    except ImportError:
        return MessagePreview(path, size, kind, error=False,
                              message="Image preview needs Pillow: pip install pillow")
    try:
        with warnings.catch_warnings():
            # our own limit below decides; Pillow's warning would go to stderr
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            width, height = img.size
            kind = f"{img.format} image" if img.format else kind
            if width * height > MAX_PIXELS:
                return MessagePreview(path, size, kind, message=(
                    f"{width:,}x{height:,} pixels is too large to preview"))
            img.draft("RGB", THUMBNAIL_BOX)  # JPEG: decode at 1/2 .. 1/8 scale
            img.thumbnail(THUMBNAIL_BOX, Image.Resampling.BOX, reducing_gap=2.0)
            rgb = _flatten(img)
    except Exception as exc:  # Pillow raises OSError, SyntaxError, ValueError, EOFError…
        reason = " ".join(str(exc).split())[:160] or type(exc).__name__
        return MessagePreview(path, size, kind,
                              message=f"Cannot decode this {kind}: {safe_text(reason)}")
    preview = ImagePreview(path, size, kind, width=width, height=height,
                           thumbnail=Thumbnail(rgb.width, rgb.height, rgb.tobytes()))
    preview.notes.append(f"{width:,}x{height:,} px")
    frames = getattr(img, "n_frames", 1)
    if frames > 1:
        preview.notes.append(f"first of {frames} frames")
    return preview


def fit_box(width: int, height: int, max_cols: int, max_rows: int) -> tuple[int, int]:
    """(columns, pixel rows) of the picture that fits ``max_cols`` x ``max_rows``
    cells keeping the aspect ratio (a cell holds 1 x 2 pixels, about square)."""
    if width <= 0 or height <= 0 or max_cols <= 0 or max_rows <= 0:
        return 0, 0
    scale = min(max_cols / width, (max_rows * 2) / height)
    cols = max(1, min(max_cols, round(width * scale)))
    rows = max(2, min(max_rows * 2, round(height * scale)))
    return cols, rows + rows % 2


def half_blocks(thumb: Thumbnail, width: int, height: int, max_cols: int,
                max_rows: int) -> list[list[tuple[RGB, RGB]]]:
    """Rows of (top, bottom) colours for ``▀`` cells filling the box."""
    from PIL import Image

    cols, px_rows = fit_box(width, height, max_cols, max_rows)
    if not cols:
        return []
    img = Image.frombytes("RGB", (thumb.width, thumb.height), thumb.rgb)
    upscale = cols > thumb.width
    small = img.resize((cols, px_rows), Image.Resampling.NEAREST if upscale else
                       Image.Resampling.BOX)
    data = small.tobytes()
    stride = cols * 3

    def pixel(x: int, y: int) -> RGB:
        i = y * stride + x * 3
        return data[i], data[i + 1], data[i + 2]

    return [[(pixel(x, y), pixel(x, y + 1)) for x in range(cols)]
            for y in range(0, px_rows, 2)]
