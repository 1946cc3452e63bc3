"""Omni Partner API request signing, by the same Rust code as every other omni binding.

    import omni
    with omni.Signer(b"partner-secret") as signer:
        sig = signer.sign("POST", "https://h/api/v1/partner/x", "ptnr_1", 1709024577000, b"{}")

Every function is thread-safe and a ``Signer`` may be shared by threads. Refusals raise
``OmniError`` subclasses carrying ``status`` (a status name shared by every binding, e.g.
``"OMNI_STORE_TOKEN_MISSING"``) and ``message``.
"""

__all__ = [
    "OmniError", "InvalidInputError", "InvalidUtf8Error", "ArgumentTypeError",
    "VerificationError", "InvalidJsonError", "Signer", "sign", "base_string", "body_hash",
    "verify", "json_stringify", "diagnose", "DEFAULT_TOLERANCE_MS", "__version__",
]


class OmniError(Exception):
    """A refusal. ``status`` is the status name (``"OMNI_" + kind``, as libomni names it),
    ``message`` says what was wrong; neither ever holds a secret or a store token."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(status, message)
        self.status = status
        self.message = message

    def __str__(self) -> str:
        return f"{self.status}: {self.message}"


class InvalidInputError(OmniError, ValueError):
    """The request or key breaks the signing rules (method, URL, header value, store pair,
    timestamp, empty secret, a NUL inside a string)."""


class InvalidUtf8Error(InvalidInputError):
    """A text argument is not valid UTF-8 (non-UTF-8 bytes, or a str with a lone surrogate);
    status ``OMNI_INVALID_UTF8``."""


class ArgumentTypeError(InvalidInputError, TypeError):
    """A required argument is None (``OMNI_NULL_ARGUMENT``) or of a type not taken
    (``OMNI_INVALID_INPUT``)."""


class VerificationError(OmniError):
    """``verify`` refused a received request: ``OMNI_TIMESTAMP_OUTSIDE_WINDOW``,
    ``OMNI_MALFORMED_SIGNATURE`` or ``OMNI_SIGNATURE_MISMATCH``."""


class InvalidJsonError(OmniError, ValueError):
    """``json_stringify`` refused the text (not JSON, too deep, or a value a JavaScript parse
    would change)."""


# Imported after the classes: the native module raises them.
from ._omni import (  # noqa: E402
    DEFAULT_TOLERANCE_MS, Signer, __version__, base_string, body_hash, diagnose, json_stringify,
    sign, verify,
)
