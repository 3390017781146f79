"""Named errors of the de-identification stage."""


class DeidentifyError(Exception):
    """De-identification cannot run as configured (missing model, unreadable list, bad term)."""
