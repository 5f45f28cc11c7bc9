"""What events tell the rest of the app, inside the transaction that made the change.

Receivers (volunteers.signups, events.visit_kits, connected by create_app) write their rows, movements and
outbox messages in the same transaction, so a visit change and the mail that reports it commit together.
"""

from blinker import Namespace

_signals = Namespace()

#: sender: the Visit; kwargs: session, now, changes (dict field -> (old, new))
visit_changed = _signals.signal("visit-changed")
#: sender: the Visit, created or edited (its lessons and hub saved); kwargs: session, now
visit_saved = _signals.signal("visit-saved")
#: sender: the Visit being published; kwargs: session, now, override_reason. A receiver may refuse (raise).
visit_publishing = _signals.signal("visit-publishing")
#: sender: the Visit; kwargs: session, now
visit_cancelled = _signals.signal("visit-cancelled")
#: sender: the Visit, now completed; kwargs: session, now
visit_completed = _signals.signal("visit-completed")
#: sender: the RoleSlot whose capacity went up; kwargs: session, now
places_added = _signals.signal("places-added")
