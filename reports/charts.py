"""Charts drawn on the server as SVG: horizontal bars (per company, per province) and a line per month.

No JavaScript and nothing from a CDN: an inline <svg> that scales with the page, prints, and names itself
for screen readers (`role="img"` with a <title>); the page puts the same numbers in a table beside it.
Each chart shows the period (solid) against the previous one (grey, thin or dashed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.etree import ElementTree as ET

WIDTH = 320
CURRENT_COLOUR = "#1d5c8f"  # 7.0:1 on white
PREVIOUS_COLOUR = "#6b6b6b"  # 5.3:1 on white
TEXT = {"font-size": "11", "fill": "#1a1a1a"}


@dataclass(frozen=True)
class Point:
    label: str
    current: int
    previous: int
    #: what is written at the bar's end (the value as people read it: hours, not minutes)
    shown: str = ""


def _svg(height: int, title: str, chart_id: str) -> ET.Element:
    svg = ET.Element(
        "svg",
        {
            "viewBox": f"0 0 {WIDTH} {height}",
            "role": "img",
            "aria-labelledby": f"{chart_id}-title",
            "class": "chart",
            "focusable": "false",
            "xmlns": "http://www.w3.org/2000/svg",
        },
    )
    heading = ET.SubElement(svg, "title", {"id": f"{chart_id}-title"})
    heading.text = title
    return svg


def _text(parent: ET.Element, x: float, y: float, content: str, **attributes: str) -> None:
    element = ET.SubElement(parent, "text", {"x": f"{x:g}", "y": f"{y:g}", **TEXT, **attributes})
    element.text = content


def _legend(svg: ET.Element, y: int, current: str, previous: str) -> None:
    ET.SubElement(svg, "rect", {"x": "0", "y": str(y - 8), "width": "10", "height": "10", "fill": CURRENT_COLOUR})
    _text(svg, 14, y + 1, current)
    ET.SubElement(svg, "rect", {"x": "160", "y": str(y - 5), "width": "10", "height": "4", "fill": PREVIOUS_COLOUR})
    _text(svg, 174, y + 1, previous)


def bar_chart(points: Sequence[Point], *, title: str, chart_id: str, legend: tuple[str, str]) -> str:
    """One row per point: its label, a bar for the period and a thin one for the previous period.

    The SVG's text is escaped by ElementTree; the page inserts it with |safe."""
    row = 38
    top = 22
    svg = _svg(top + row * max(len(points), 1), title, chart_id)
    _legend(svg, 10, *legend)
    largest = max((max(p.current, p.previous) for p in points), default=0) or 1
    room = WIDTH - 70
    for i, point in enumerate(points):
        y = top + i * row
        _text(svg, 0, y + 10, point.label)
        ET.SubElement(
            svg,
            "rect",
            {"x": "0", "y": str(y + 14), "height": "12", "fill": CURRENT_COLOUR,
             "width": f"{room * point.current / largest:.1f}"},
        )  # fmt: skip
        ET.SubElement(
            svg,
            "rect",
            {"x": "0", "y": str(y + 28), "height": "4", "fill": PREVIOUS_COLOUR,
             "width": f"{room * point.previous / largest:.1f}"},
        )  # fmt: skip
        _text(svg, room * point.current / largest + 4, y + 24, point.shown or str(point.current))
    return ET.tostring(svg, encoding="unicode")


def line_chart(points: Sequence[Point], *, title: str, chart_id: str, legend: tuple[str, str]) -> str:
    """A point per month joined by a line, the previous period's dashed; the first and largest values written."""
    height, top, bottom, left = 170, 24, 22, 6
    svg = _svg(height, title, chart_id)
    _legend(svg, 10, *legend)
    largest = max((max(p.current, p.previous) for p in points), default=0) or 1
    span = WIDTH - 2 * left
    step = span / max(len(points) - 1, 1)
    plot = height - top - bottom

    def xy(i: int, value: int) -> tuple[float, float]:
        return left + i * step, top + plot - plot * value / largest

    ET.SubElement(svg, "line", {"x1": str(left), "x2": str(WIDTH - left), "y1": str(top + plot),
                                "y2": str(top + plot), "stroke": "#8a8a8a"})  # fmt: skip
    for attribute, colour, dash in (("previous", PREVIOUS_COLOUR, "4 3"), ("current", CURRENT_COLOUR, "")):
        coordinates = " ".join("{:.1f},{:.1f}".format(*xy(i, getattr(p, attribute))) for i, p in enumerate(points))
        line = {"points": coordinates, "fill": "none", "stroke": colour, "stroke-width": "2"}
        if dash:
            line["stroke-dasharray"] = dash
        ET.SubElement(svg, "polyline", line)
    for i, point in enumerate(points):
        x, y = xy(i, point.current)
        ET.SubElement(svg, "circle", {"cx": f"{x:.1f}", "cy": f"{y:.1f}", "r": "3", "fill": CURRENT_COLOUR})
        # the first and last labels keep to the chart's edges
        anchor = {"text-anchor": "start" if i == 0 else ("end" if i == len(points) - 1 else "middle")}
        if len(points) <= 12 or i % 2 == 0:
            _text(svg, x, height - 6, point.label, **anchor)
        if point.current == largest:
            _text(svg, x, max(y - 5, top + 8), point.shown or str(point.current), **anchor)
    return ET.tostring(svg, encoding="unicode")
