"""One vocabulary for "no": every refusal the core and the services raise.

A refusal names what was refused (``field``: a form field, ``status``, or None when the
whole operation is refused) and why (``reason``: a machine code). It carries no words:
the web layer turns ``(scope, reason)`` into a translated message (app/messages.py), so
the core stays free of Flask and the same refusal reads the same on every page and in
``flask`` commands. Subclasses only name their ``scope``, so that callers can catch the
refusals of one use case and the catalogue can word a reason for that use case.
"""

from __future__ import annotations

from typing import Any, ClassVar


class Refused(Exception):
    """An operation that is refused; nothing was written.

    ``field`` names the input that is wrong (None: the operation as a whole), ``reason``
    is a code with a message in the web layer's catalogue, ``params`` are values the
    message may quote."""

    scope: ClassVar[str] = ""

    def __init__(self, field: str | None, reason: str, **params: Any):
        super().__init__(f"{field}: {reason}" if field else reason)
        self.field = field
        self.reason = reason
        self.params = params
