"""The ``lomsong`` command line (batch entry point) on top of :mod:`geo` and :mod:`analysis`."""

__version__ = "0.1.0"
