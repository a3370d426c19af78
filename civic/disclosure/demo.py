"""Demo data of the disclosure module (filled in below)."""


def seed(db, demo) -> None:
    """Demo notices for the three communities."""
