"""Read a QR code drawn as our SVG (one path of unit squares, `M4,4H5V5H4z…`) as a camera would: paint it
into a bitmap and decode it with zxing-cpp. (The browser test renders the SVG in Chromium instead.)"""

from __future__ import annotations

import re

import zxingcpp
from PIL import Image, ImageDraw

_SQUARE = re.compile(r"M(\d+),(\d+)H(\d+)V(\d+)H\d+z")
_VIEW_BOX = re.compile(r'viewBox="0 0 (\d+) (\d+)"')


def decode_svg(svg: str, scale: int = 8) -> list[str]:
    """The texts of the QR codes in `svg`, painted `scale` pixels a module on white."""
    width, height = (int(n) for n in _VIEW_BOX.search(svg).groups())
    image = Image.new("L", (width * scale, height * scale), 255)
    draw = ImageDraw.Draw(image)
    path = re.search(r'<path d="([^"]+)"', svg).group(1)
    for x1, y1, x2, y2 in (map(int, m) for m in _SQUARE.findall(path)):
        draw.rectangle([x1 * scale, y1 * scale, x2 * scale - 1, y2 * scale - 1], fill=0)
    return [found.text for found in zxingcpp.read_barcodes(image)]
