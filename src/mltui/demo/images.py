"""Small PNG images drawn with the standard library: charts and heatmaps for artifacts.

The demo ships image artifacts (loss curves, confusion matrices) so the artifact
browser has pictures to preview, and tests make images of known size and content
with the same functions. mltui must not depend on PIL or matplotlib for that, so
these write uncompressed-filter 8-bit RGB PNGs by hand: ``png`` encodes pixels,
``line_chart`` and ``heatmap`` draw the two kinds of picture the demo needs.
"""

from __future__ import annotations

import math
import struct
import zlib

PALETTE = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40)]
"""Line colours, in series order (matplotlib's first four)."""


def png(width: int, height: int, rgb: bytes | bytearray) -> bytes:
    """An 8-bit RGB PNG of ``width`` x ``height`` pixels (no filter, zlib level 6).

    ``rgb`` holds 3 bytes per pixel, rows top to bottom, ``width * height * 3`` bytes
    in all. Enough for a valid image that any viewer opens, without PIL.
    """

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    stride = width * 3
    raw = b"".join(b"\x00" + bytes(rgb[y * stride : (y + 1) * stride]) for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )


def line_chart(series: list[list[float]], width: int = 480, height: int = 300) -> bytes:
    """A PNG of ``series`` drawn as lines over a light grid, on a white background.

    Each series is stretched to the full plot width (value i of n at i/(n-1) of it)
    and all share one y scale, the range of their finite values. inf and NaN break
    the line. Colours follow ``PALETTE``.
    """
    pixels = bytearray(b"\xff" * (width * height * 3))
    stride, margin = width * 3, 24

    def hline(y: int, x0: int, x1: int, color: bytes) -> None:
        pixels[y * stride + x0 * 3 : y * stride + x1 * 3] = color * (x1 - x0)

    def vline(x: int, y0: int, y1: int, color: bytes) -> None:
        for y in range(min(y0, y1), max(y0, y1) + 1):
            pixels[y * stride + x * 3 : y * stride + x * 3 + 3] = color

    for gy in range(margin, height - margin, (height - 2 * margin) // 5):
        hline(gy, margin, width - margin, b"\xe4\xe4\xe4")
    hline(height - margin, margin, width - margin, b"\x5a\x5a\x5a")
    vline(margin, margin, height - margin, b"\x5a\x5a\x5a")
    finite = [v for s in series for v in s if math.isfinite(v)]
    lo, hi = (min(finite), max(finite)) if finite else (0.0, 1.0)
    span = (hi - lo) or 1.0
    plot_w, plot_h = width - 2 * margin - 3, height - 2 * margin - 3
    for n, values in enumerate(series):
        color = bytes(PALETTE[n % len(PALETTE)])
        prev = None
        for x, v in per_column(values, plot_w):
            if not math.isfinite(v):
                prev = None
                continue
            x += margin + 1
            y = height - margin - 2 - round((v - lo) * plot_h / span)
            if prev is None:
                vline(x, y, y + 1, color)
            elif x - prev[0] <= 1:  # dense series: a vertical stroke per column
                vline(x, prev[1], y, color)
            else:
                steps = max(abs(x - prev[0]), abs(y - prev[1]))
                for i in range(steps + 1):
                    px = prev[0] + (x - prev[0]) * i // steps
                    vline(
                        px,
                        prev[1] + (y - prev[1]) * i // steps,
                        prev[1] + (y - prev[1]) * i // steps + 1,
                        color,
                    )
            prev = (x, y)
    return png(width, height, pixels)


def per_column(values: list[float], columns: int) -> list[tuple[int, float]]:
    """(column, value) pairs for drawing ``values`` across ``columns`` pixel columns.

    Each column keeps the lowest and highest value that falls in it, in step order, so
    a 3,000-point curve costs a few hundred segments and keeps its spikes. A column
    holding an inf or NaN also yields ``(column, nan)`` first, to break the line there.
    """
    last = max(1, len(values) - 1)
    buckets: dict[int, list[tuple[int, float]]] = {}
    for i, v in enumerate(values):
        buckets.setdefault(round(i * columns / last), []).append((i, v))
    out = []
    for x, pts in buckets.items():
        finite = [p for p in pts if math.isfinite(p[1])]
        if len(finite) < len(pts):
            out.append((x, math.nan))  # break the line at inf / NaN
        if finite:
            low, high = min(finite, key=lambda p: p[1]), max(finite, key=lambda p: p[1])
            out.extend((x, v) for _, v in sorted({low, high}))
    return out


def heatmap(matrix: list[list[int]], cell: int = 120) -> bytes:
    """A PNG of a confusion matrix: one square ``cell`` pixels wide per entry.

    Cells are blue, darker for a larger share of their row's total; the first and
    last pixel line of each cell are white, so rows stand apart. The image is
    ``len(matrix[0]) * cell`` pixels wide and ``len(matrix) * cell`` high.
    """
    rows, cols = len(matrix), len(matrix[0])
    width, height = cols * cell, rows * cell
    pixels = bytearray(width * height * 3)
    for r, row in enumerate(matrix):
        total = sum(row) or 1
        for c, value in enumerate(row):
            share = value / total
            color = bytes((int(247 - 239 * share), int(251 - 203 * share), int(255 - 148 * share)))
            for y in range(r * cell, (r + 1) * cell):
                border = y % cell in (0, cell - 1)
                start = (y * width + c * cell) * 3
                line = (b"\xff\xff\xff" if border else color) * cell
                pixels[start : start + cell * 3] = line
    return png(width, height, pixels)
