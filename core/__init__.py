"""Cross-cutting pieces every package may use: errors, time, tokens, i18n, database helpers."""
