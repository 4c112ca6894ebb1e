"""The one error of bad input a user can act on, shared by every app of the web package."""

from __future__ import annotations


class InputError(Exception):
    """Bad input a user can act on: which field, and why (French). Pages show it beside the field, the
    API answers 422 with ``{"detail": [{"field": …, "reason": …}]}``; nothing is written."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class Locked(Exception):
    """A write the collectivité's state refuses this person now, whatever their role: during an audit
    only its assigned auditors change the référentiel's statuts, explications and answers. Which field,
    and why (French); the API answers 403 with ``{"detail": [{"field": …, "reason": …}]}``, pages 403
    with the reason; nothing is written."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
