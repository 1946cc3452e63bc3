"""libomni from Python (ctypes): Omni Partner API request signing by the same code as Rust.

    import omni
    signer = omni.Signer(b"partner-secret")
    sig = signer.sign("POST", "https://h/api/v1/partner/x", "ptnr_1", 1709024577000, b"{}")

The library is found through the OMNI_LIB environment variable (a path), else as
``libomni.so.0`` on the loader's search path. Errors raise ``OmniError`` carrying the
``omni_status`` code. Every function is thread-safe; a ``Signer`` may be shared by threads.
"""

import array
import ctypes
import os
import threading

__all__ = [
    "OmniError", "Signer", "sign", "base_string", "body_hash", "verify", "json_stringify",
    "version", "OK", "NULL_ARGUMENT", "INVALID_UTF8", "BUFFER_TOO_SMALL", "INVALID_INPUT",
    "TIMESTAMP_OUTSIDE_WINDOW", "MALFORMED_SIGNATURE", "SIGNATURE_MISMATCH", "PANIC",
    "INVALID_JSON", "DEFAULT_TOLERANCE_MS",
]

# omni_status (include/omni.h): values are appended, never renumbered.
OK = 0
NULL_ARGUMENT = 1
INVALID_UTF8 = 2
BUFFER_TOO_SMALL = 3
INVALID_INPUT = 4
TIMESTAMP_OUTSIDE_WINDOW = 5
MALFORMED_SIGNATURE = 6
SIGNATURE_MISMATCH = 7
PANIC = 8
INVALID_JSON = 9

DEFAULT_TOLERANCE_MS = 300_000
_SIGN_BARE_HEX = 1
_VERIFY_STRICT = 1
_SIGNATURE_BUFFER_SIZE = 72
# The version of include/omni.h this module is written for: it accepts a libomni of the same
# major and at least this minor (a minor release only adds symbols and statuses).
HEADER_VERSION = (0, 1)


def _version_accepted(found, major, minor):
    """Whether libomni ``found`` serves a header of version major.minor (0.y accepts 0.y' for
    y' >= y, never 1.x)."""
    parts = found.split(".")
    if len(parts) < 2 or not parts[0].isdigit() or not parts[1].isdigit():
        return False
    return int(parts[0]) == major and int(parts[1]) >= minor


_c_char_p = ctypes.c_char_p
_size_t = ctypes.c_size_t
_i64 = ctypes.c_int64
_u32 = ctypes.c_uint32
_status = ctypes.c_int32
_bytes_p = ctypes.c_char_p  # const uint8_t *: Python bytes pass as-is
_out_p = ctypes.c_char_p    # char *out: a ctypes string buffer


class _Request(ctypes.Structure):
    _fields_ = [
        ("method", _c_char_p), ("url", _c_char_p), ("partner_client_id", _c_char_p),
        ("store_client_id", _c_char_p), ("store_token", _c_char_p), ("timestamp_ms", _i64),
        ("body", _bytes_p), ("body_len", _size_t),
    ]


assert ctypes.sizeof(_Request) == 64, "omni_request is 8 words on 64-bit platforms"


def _load():
    lib = ctypes.CDLL(os.environ.get("OMNI_LIB") or "libomni.so.0")
    req = [_c_char_p, _c_char_p, _c_char_p, _c_char_p, _c_char_p, _i64, _bytes_p, _size_t]
    out = [_out_p, _size_t, ctypes.POINTER(_size_t)]
    sigs = {
        "omni_status_str": ([ctypes.c_int32], _c_char_p),
        "omni_status_name": ([ctypes.c_int32], _c_char_p),
        "omni_version": ([], _c_char_p),
        "omni_sign": ([_bytes_p, _size_t] + req + out, _status),
        "omni_base_string": (req + out, _status),
        "omni_body_hash": ([_bytes_p, _size_t] + out, _status),
        "omni_signer_new": ([_bytes_p, _size_t, ctypes.POINTER(ctypes.c_void_p)], _status),
        "omni_signer_free": ([ctypes.c_void_p], None),
        "omni_signer_sign": ([ctypes.c_void_p] + req + [_u32] + out, _status),
        "omni_signer_sign_many": ([ctypes.c_void_p, ctypes.POINTER(_Request), _size_t, _u32,
                                   _out_p, _size_t, ctypes.POINTER(_status)], _status),
        "omni_verify": ([_bytes_p, _size_t, _c_char_p, _c_char_p, _c_char_p, _c_char_p,
                         _c_char_p, _c_char_p, _c_char_p, _bytes_p, _size_t, _i64, _i64, _u32],
                        _status),
    }
    sigs["omni_json_stringify"] = ([_c_char_p, _size_t] + out, _status)
    for name, (args, res) in sigs.items():
        fn = getattr(lib, name)
        fn.argtypes = args
        fn.restype = res
    found = lib.omni_version().decode()
    if not _version_accepted(found, *HEADER_VERSION):
        raise ImportError(f"libomni {found} loaded, this module needs {HEADER_VERSION[0]}."
                          f"{HEADER_VERSION[1]} or a later {HEADER_VERSION[0]}.x")
    return lib


_lib = _load()
_fast_signer_sign = _lib["omni_signer_sign"]  # a separate function object: no argtypes
_fast_signer_sign.restype = _status
_SignatureBuffer = ctypes.c_char * _SIGNATURE_BUFFER_SIZE
# omni_signer_sign_many with the request array passed as an address (see Signer.sign_many).
_packed_sign_many = _lib["omni_signer_sign_many"]
_packed_sign_many.argtypes = [ctypes.c_void_p, ctypes.c_void_p, _size_t, _u32, _out_p, _size_t,
                              ctypes.c_void_p]
_packed_sign_many.restype = _status


def version():
    """The loaded library's version, e.g. "0.1.0" (checked against HEADER_VERSION on load)."""
    return _lib.omni_version().decode()


class OmniError(Exception):
    """A libomni call failed; ``status`` is the omni_status code."""

    def __init__(self, status):
        self.status = status
        super().__init__(f"omni_status {status}: {_lib.omni_status_str(status).decode()}")


def _text(value):
    """str -> NUL-terminated UTF-8. A NUL inside cannot cross the C ABI: refuse it here."""
    if value is None:
        return None
    data = value.encode("utf-8") if isinstance(value, str) else bytes(value)
    if b"\0" in data:
        raise OmniError(INVALID_INPUT)
    return data


def _call_with_buffer(call, cap):
    """Runs call(out, cap, &len), growing the buffer once if libomni asks for more."""
    out_len = _size_t(0)
    buf = ctypes.create_string_buffer(cap)
    status = call(buf, cap, ctypes.byref(out_len))
    if status == BUFFER_TOO_SMALL:
        cap = out_len.value + 1
        buf = ctypes.create_string_buffer(cap)
        status = call(buf, cap, ctypes.byref(out_len))
    if status != OK:
        raise OmniError(status)
    return buf.raw[: out_len.value].decode("utf-8")


def _request_args(method, url, partner_client_id, timestamp_ms, body, store_client_id,
                  store_token):
    body = bytes(body or b"")
    return (_text(method), _text(url), _text(partner_client_id), _text(store_client_id),
            _text(store_token), int(timestamp_ms), body, len(body))


def _secret(secret):
    return secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)


def sign(secret, method, url, partner_client_id, timestamp_ms, body=b"", store_client_id=None,
         store_token=None):
    """``x-signature`` (``sha256=<hex>``) of one request; ``url`` as sent, ``body`` as sent."""
    key = _secret(secret)
    args = _request_args(method, url, partner_client_id, timestamp_ms, body, store_client_id,
                         store_token)
    return _call_with_buffer(lambda o, c, n: _lib.omni_sign(key, len(key), *args, o, c, n),
                             _SIGNATURE_BUFFER_SIZE)


def base_string(method, url, partner_client_id, timestamp_ms, body=b"", store_client_id=None,
                store_token=None):
    """The exact base string that is signed (it holds the store token: do not log it)."""
    args = _request_args(method, url, partner_client_id, timestamp_ms, body, store_client_id,
                         store_token)
    return _call_with_buffer(lambda o, c, n: _lib.omni_base_string(*args, o, c, n), 256)


def body_hash(body):
    """Lowercase hex SHA-256 of the body bytes."""
    body = bytes(body)
    return _call_with_buffer(lambda o, c, n: _lib.omni_body_hash(body, len(body), o, c, n), 65)


def verify(secret, method, url, partner_client_id, timestamp, signature, body=b"",
           store_client_id=None, store_token=None, now_ms=None, tolerance_ms=DEFAULT_TOLERANCE_MS,
           strict=False):
    """Verifies a received request as a server does; returns None when accepted, raises
    OmniError whose status says which check failed. ``timestamp`` is the x-timestamp text."""
    import time

    key = _secret(secret)
    body = bytes(body or b"")
    now = int(time.time() * 1000) if now_ms is None else int(now_ms)
    status = _lib.omni_verify(key, len(key), _text(method), _text(url), _text(partner_client_id),
                              _text(store_client_id), _text(store_token), _text(str(timestamp)),
                              _text(signature), body, len(body), now, int(tolerance_ms),
                              _VERIFY_STRICT if strict else 0)
    if status != OK:
        raise OmniError(status)


def json_stringify(text):
    """Re-writes a JSON text exactly as JavaScript's JSON.stringify(JSON.parse(text)) would."""
    data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    return _call_with_buffer(
        lambda o, c, n: _lib.omni_json_stringify(data, len(data), o, c, n), len(data) + 1)


class Signer:
    """One partner secret key, hashed once; thread-safe. Close it (or use ``with``) to wipe
    the key state; it is also released when garbage-collected."""

    def __init__(self, secret):
        key = _secret(secret)
        handle = ctypes.c_void_p()
        status = _lib.omni_signer_new(key, len(key), ctypes.byref(handle))
        if status != OK:
            raise OmniError(status)
        self._handle = handle
        self._lock = threading.Lock()
        self._users = 0  # calls in flight: ctypes releases the GIL during them
        self._free_after_use = None

    def close(self):
        """Wipes and releases the key state; later calls raise (NULL_ARGUMENT). When other
        threads are still signing, the release waits for the last of them."""
        with self._lock:
            handle, self._handle = self._handle, None
            if handle and self._users:
                self._free_after_use, handle = handle, None
        if handle:
            _lib.omni_signer_free(handle)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        if getattr(self, "_handle", None):
            self.close()

    def _acquire(self):
        with self._lock:
            if not self._handle:
                raise OmniError(NULL_ARGUMENT)
            self._users += 1
            return self._handle

    def _release(self):
        with self._lock:
            self._users -= 1
            handle = self._free_after_use if self._users == 0 else None
            if handle:
                self._free_after_use = None
        if handle:
            _lib.omni_signer_free(handle)

    def sign(self, method, url, partner_client_id, timestamp_ms, body=b"", store_client_id=None,
             store_token=None, bare_hex=False):
        """``x-signature`` of one request: ``sha256=<hex>``, or bare hex when asked."""
        # The hot path: ctypes converts arguments faster without argtypes, so every argument
        # that is not bytes or None is wrapped in its exact C type here (_fast_signer_sign has
        # no argtypes; a bare Python int would be passed as a C int).
        m, u, p = method.encode(), url.encode(), partner_client_id.encode()
        s = store_client_id.encode() if store_client_id else None
        t = store_token.encode() if store_token else None
        if b"\0" in m or b"\0" in u or b"\0" in p or (s and b"\0" in s) or (t and b"\0" in t):
            raise OmniError(INVALID_INPUT)
        if not isinstance(body, bytes):
            body = bytes(body or b"")
        out = _SignatureBuffer()
        out_len = _size_t()
        handle = self._acquire()
        try:
            status = _fast_signer_sign(handle, m, u, p, s, t, _i64(timestamp_ms), body,
                                       _size_t(len(body)), _u32(_SIGN_BARE_HEX if bare_hex else 0),
                                       out, _size_t(_SIGNATURE_BUFFER_SIZE), ctypes.byref(out_len))
        finally:
            self._release()
        if status != OK:
            raise OmniError(status)
        return out.value.decode("ascii")

    def sign_many(self, requests, bare_hex=False):
        """Signs many requests in one libomni call, spreading ctypes' per-call cost. Each
        request is a tuple of ``sign``'s arguments: ``(method, url, partner_client_id,
        timestamp_ms[, body[, store_client_id[, store_token]]])``. Returns the signatures in
        order; raises on the first failure."""
        n = len(requests)
        if n == 0:
            return []
        # The strings and bodies go into one buffer, each distinct object once (a batch for one
        # partner shares its id, store pair and method), and the omni_request array is packed
        # as integers: building ctypes structures field by field would cost more than signing.
        blob = bytearray()
        placed = {}  # id(object) -> offset in blob; `requests` keeps the objects alive
        layout = []  # per request: 6 offsets (-1 for NULL), timestamp, body length
        for r in requests:
            if not 4 <= len(r) <= 7:
                raise OmniError(INVALID_INPUT)
            body = r[4] if len(r) > 4 and r[4] else b""
            store = r[5] if len(r) > 5 and r[5] else None
            token = r[6] if len(r) > 6 and r[6] else None
            offsets = []
            for value, is_body in ((r[0], False), (r[1], False), (r[2], False), (store, False),
                                   (token, False), (body, True)):
                if value is None or (is_body and not value):
                    offsets.append(-1)
                    continue
                at = placed.get(id(value))
                if at is None:
                    data = bytes(value) if is_body else value.encode()
                    if not is_body and b"\0" in data:
                        raise OmniError(INVALID_INPUT)
                    at = placed[id(value)] = len(blob)
                    blob += data
                    if not is_body:
                        blob.append(0)
                offsets.append(at)
            layout.append((offsets, int(r[3]), len(body)))
        blob.append(0)  # never empty, so it has an address
        data_buf = (ctypes.c_char * len(blob)).from_buffer(blob)
        base = ctypes.addressof(data_buf)
        fields = []
        for offsets, ts, body_len in layout:
            p = [0 if o < 0 else base + o for o in offsets]
            fields.extend((p[0], p[1], p[2], p[3], p[4], ts, p[5], body_len))
        packed = array.array("q", fields)
        size = n * _SIGNATURE_BUFFER_SIZE
        out = ctypes.create_string_buffer(size)
        handle = self._acquire()
        try:
            status = _packed_sign_many(handle, packed.buffer_info()[0], n,
                                       _SIGN_BARE_HEX if bare_hex else 0, out, size, None)
        finally:
            self._release()
        del data_buf  # releases the export of blob
        if status != OK:
            raise OmniError(status)
        raw = out.raw
        width = 64 if bare_hex else 71
        return [raw[i:i + width].decode("ascii") for i in range(0, size, _SIGNATURE_BUFFER_SIZE)]
