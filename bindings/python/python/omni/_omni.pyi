"""Type stubs of the native module ``omni._omni`` (re-exported by ``omni``)."""

from typing import Any, Iterable, Mapping, Optional, Tuple, Union

from typing_extensions import Self

Text = Union[str, bytes]
Bytes = Union[bytes, bytearray, memoryview, str]

DEFAULT_TOLERANCE_MS: int
__version__: str

class Signer:
    """One partner secret key, hashed once; thread-safe."""

    def __init__(self, secret: Bytes) -> None: ...
    def sign(
        self,
        method: Text,
        url: Text,
        partner_client_id: Text,
        timestamp_ms: int,
        body: Optional[Bytes] = None,
        store_client_id: Optional[Text] = None,
        store_token: Optional[Text] = None,
        bare_hex: bool = False,
    ) -> str: ...
    def sign_many(
        self, requests: Iterable[Tuple[object, ...]], bare_hex: bool = False
    ) -> list[str]: ...
    def close(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, *exc: object) -> None: ...

def sign(
    secret: Bytes,
    method: Text,
    url: Text,
    partner_client_id: Text,
    timestamp_ms: int,
    body: Optional[Bytes] = None,
    store_client_id: Optional[Text] = None,
    store_token: Optional[Text] = None,
) -> str: ...
def base_string(
    method: Text,
    url: Text,
    partner_client_id: Text,
    timestamp_ms: int,
    body: Optional[Bytes] = None,
    store_client_id: Optional[Text] = None,
    store_token: Optional[Text] = None,
) -> str: ...
def body_hash(body: Bytes) -> str: ...
def verify(
    secret: Bytes,
    method: Text,
    url: Text,
    partner_client_id: Text,
    timestamp: Union[str, int],
    signature: Text,
    body: Optional[Bytes] = None,
    store_client_id: Optional[Text] = None,
    store_token: Optional[Text] = None,
    now_ms: Optional[int] = None,
    tolerance_ms: Optional[int] = None,
    strict: bool = False,
) -> None: ...
def json_stringify(text: Bytes) -> str: ...
def diagnose(
    secret: Bytes,
    method: Text,
    url: Text,
    headers: Union[Mapping[Text, Text], Iterable[Tuple[Text, Text]]],
    body: Optional[Bytes] = None,
    now_ms: Optional[int] = None,
    tolerance_ms: Optional[int] = None,
    strict: bool = False,
) -> dict[str, Any]: ...
