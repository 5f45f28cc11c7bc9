"""Kits: kit types now; hubs, the stock ledger, reservations and shortfall forecasts later."""
