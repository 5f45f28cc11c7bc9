"""Accounts: people, their roles and companies, logins, invitations, password resets, API tokens."""
