"""QR codes of URLs (tickets, posters, calendar feeds), as SVG (one path, sharp at any size) and PNG.

Error correction M, the version the library chooses for the data (4 for a 54-character ticket
URL, which cheap phone cameras read), and the standard quiet zone of four modules.
"""

from __future__ import annotations

import io
import math
from xml.etree import ElementTree as ET

import qrcode
import qrcode.image.svg
from qrcode.constants import ERROR_CORRECT_M

BORDER = 4
#: the smallest PNG, in pixels a side
PNG_MIN_PX = 300


class _SvgPath(qrcode.image.svg.SvgPathImage):
    """One path on a white square: the quiet zone stays light on any page or in dark mode."""

    background = "#ffffff"


def make_qr(data: str) -> qrcode.QRCode:
    """The QR code of `data` at error correction M, in the smallest version that holds it."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=BORDER, box_size=10)
    code.add_data(data)
    code.make(fit=True)
    return code


def qr_svg_element(data: str, title: str) -> ET.Element:
    """The SVG of `data`'s QR code with a <title>; sized by its viewBox only, so it fills the box it is put in."""
    svg = make_qr(data).make_image(image_factory=_SvgPath).get_image()
    for attribute in ("width", "height"):
        svg.attrib.pop(attribute, None)
    svg.set("shape-rendering", "crispEdges")  # no hairline seams between neighbouring modules
    for path in svg.iter("path"):
        path.attrib.pop("id", None)  # the page may show more than one
    heading = ET.Element("title")
    heading.text = title
    svg.insert(0, heading)
    return svg


def qr_svg(data: str, title: str) -> bytes:
    """A standalone SVG document (UTF-8, with its XML declaration)."""
    return ET.tostring(qr_svg_element(data, title), encoding="UTF-8", xml_declaration=True)


def qr_svg_inline(data: str, title: str, title_id: str) -> str:
    """The SVG to put inside an HTML page: an image named by its title (`title_id`, unique on the page)."""
    svg = qr_svg_element(data, title)
    svg.set("role", "img")
    svg.set("aria-labelledby", title_id)
    svg.set("focusable", "false")
    svg.find("title").set("id", title_id)
    return ET.tostring(svg, encoding="unicode")


def qr_png(data: str, min_px: int = PNG_MIN_PX) -> bytes:
    """A PNG at least `min_px` pixels a side, each module a whole number of pixels."""
    code = make_qr(data)
    modules = code.modules_count + 2 * BORDER
    code.box_size = math.ceil(min_px / modules)
    out = io.BytesIO()
    code.make_image().save(out, format="PNG")
    return out.getvalue()
