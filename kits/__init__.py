"""Kits: kit types, hubs, stock and its tamper-evident ledger; lesson reservations, shipping and forecasts later."""
