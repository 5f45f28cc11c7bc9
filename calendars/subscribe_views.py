"""Subscribing: the page that offers a person every calendar feed they may use, each with its address to copy,
`webcal://` and "add to Google / Outlook" links and a QR code (a feed found on a laptop, subscribed on the
phone), and the question before a feed gets a new address."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode

from flask import abort, g, render_template, url_for

from accounts.access import SIGNED_IN, requires, viewer
from calendars import bp, services
from core.i18n import gettext as _
from core.qr import qr_svg_inline
from core.web import way_back
from extensions import db


@dataclass(frozen=True)
class Offer:
    """One feed as the page offers it."""

    link: services.FeedLink
    #: a short id for the page's element ids
    key: str

    @property
    def google_url(self) -> str:
        """Google Calendar's "add by URL", which takes the webcal address."""
        return "https://calendar.google.com/calendar/r?" + urlencode({"cid": self.link.webcal_url})

    def outlook_url(self, host: str) -> str:
        """Outlook on the web's "subscribe from web" (outlook.live.com for personal accounts, outlook.office.com
        for work and school ones)."""
        query = urlencode({"url": self.link.url, "name": self.link.title}, quote_via=quote)
        return f"https://{host}/calendar/0/addfromweb?{query}"

    def qr(self) -> str:
        return qr_svg_inline(
            self.link.url, _("QR code of the address of %(title)s", title=self.link.title), f"qr-{self.key}"
        )


def _offers() -> list[Offer]:
    links = services.feeds_for(db.session, viewer(), g.now)
    db.session.commit()  # a feed's address is made the first time it is offered
    return [Offer(link, f"{link.kind}-{link.target_id or 0}") for link in links]


@bp.get("/calendars")
def subscriptions():
    """Every calendar feed the visitor may subscribe to: the public programme for anyone, and a person's own."""
    return render_template("calendars/subscriptions.html", offers=_offers())


@bp.get("/calendars/<kind>/<int:target_id>/new-address")
@requires(SIGNED_IN)
def confirm_rotate(kind: str, target_id: int):
    """Ask before giving a feed a new address, saying that calendars subscribed to the old one stop updating."""
    offer = next(
        (o for o in _offers() if o.link.kind == kind and o.link.target_id == target_id and o.link.rotate_args), None
    )
    if offer is None:
        abort(404)
    return render_template("calendars/rotate.html", offer=offer, back=way_back(url_for("calendars.subscriptions")))
