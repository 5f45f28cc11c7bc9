"""The outbox: messages written in the same transaction as the change they report, delivered later."""
