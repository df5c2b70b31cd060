"""`lomsong stations` sub-command(s). (Placeholder: registers nothing yet.)"""


def register(subparsers) -> None:  # noqa: ARG001 - filled in by the stations work
    return None
