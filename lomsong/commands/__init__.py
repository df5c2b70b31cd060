"""Sub-command modules of the lomsong CLI."""
