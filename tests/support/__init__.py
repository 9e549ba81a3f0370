"""Shared test helpers (on ``sys.path`` through pytest's ``pythonpath``): fakes and waits."""
