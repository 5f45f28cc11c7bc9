"""What volunteers tell the packages above them, inside the transaction that made the change.

Receivers (checkin.tickets, connected by create_app) write their rows in the same transaction.
"""

from blinker import Namespace

_signals = Namespace()

#: sender: the Signup that now holds a confirmed place (signed up, or promoted from the waitlist);
#: kwargs: session, now
place_confirmed = _signals.signal("place-confirmed")
