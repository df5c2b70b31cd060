"""`lomsong coverage` sub-command(s). (Placeholder: registers nothing yet.)"""


def register(subparsers) -> None:  # noqa: ARG001 - filled in by the coverage work
    return None
