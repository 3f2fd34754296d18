"""MA Desk: the medical assistant's workstation for small clinics."""

__version__ = "0.1.0"
