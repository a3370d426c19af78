"""Accounts: activation letters, login, sessions, roles, assisted mode."""
