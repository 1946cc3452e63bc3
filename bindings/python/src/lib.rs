//! The native part of the Python module `omni` (PyO3, built by maturin as `omni._omni`).
//!
//! Every call converts its Python arguments to the borrowed values of [`omni_bindings`] and
//! signs through omni-sign; nothing here computes a signature. Refusals raise the exception
//! classes defined in `python/omni/__init__.py` (`omni.OmniError` and its subclasses), each
//! carrying the status name and the message. Arguments of the wrong type raise
//! `omni.ArgumentTypeError` (a `TypeError` too) instead of PyO3's own conversion errors, and a
//! `str` holding a lone surrogate is `omni.InvalidUtf8Error`, never replaced.
//!
//! ```python
//! import omni
//! signer = omni.Signer(b"partner-secret")
//! sig = signer.sign("POST", "https://h/api/v1/partner/x", "ptnr_1", 1709024577000, b"{}")
//! ```
// The Python functions take each request field as a keyword argument, as libomni does.
#![allow(clippy::too_many_arguments)]

use std::sync::RwLock;

use omni_bindings::omni_sign::{self, SignatureFormat};
use omni_bindings::{Check, Class, Error, Received, Request};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyByteArray, PyBytes, PyInt, PyMemoryView, PyString, PyTuple, PyType};

/// Bodies at least this long are hashed with the GIL released, so that other threads run
/// meanwhile; shorter ones are signed faster than the GIL could be released and taken back.
const RELEASE_GIL_FROM: usize = 64 * 1024;

/// The Python exception for a refusal: the class from `omni/__init__.py` chosen by
/// [`Error::class`], with `(status, message)` as its arguments.
fn raise(py: Python<'_>, error: Error) -> PyErr {
    static CLASSES: PyOnceLock<[Py<PyType>; 6]> = PyOnceLock::new();
    let classes = CLASSES.get_or_try_init(py, || -> PyResult<_> {
        let module = py.import("omni")?;
        let class = |name: &str| -> PyResult<Py<PyType>> {
            Ok(module.getattr(name)?.cast_into::<PyType>()?.unbind())
        };
        Ok([
            class("InvalidInputError")?,
            class("InvalidUtf8Error")?,
            class("ArgumentTypeError")?,
            class("VerificationError")?,
            class("InvalidJsonError")?,
            class("OmniError")?,
        ])
    });
    let classes = match classes {
        Ok(classes) => classes,
        Err(e) => return e,
    };
    let index = match error.class() {
        Class::InvalidInput => 0,
        Class::InvalidUtf8 => 1,
        Class::ArgumentType => 2,
        Class::Verification => 3,
        Class::InvalidJson => 4,
        _ => 5,
    };
    PyErr::from_type(
        classes[index].bind(py).clone(),
        (error.status(), error.to_string()),
    )
}

/// Bytes taken from a Python argument: a `bytes` object (given, or a `str` encoded to UTF-8),
/// or a copy.
enum Data<'py> {
    Empty,
    Py(Bound<'py, PyBytes>),
    Copied(Vec<u8>),
}

impl Data<'_> {
    fn as_bytes(&self) -> &[u8] {
        match self {
            Data::Empty => &[],
            Data::Py(b) => b.as_bytes(),
            Data::Copied(v) => v,
        }
    }
}

/// A text argument: `str` (encoded once to a `bytes` object; a lone surrogate cannot be
/// encoded and is refused as invalid UTF-8) or `bytes` (checked as UTF-8 when used, by
/// [`as_text`]). Any character the signing rules forbid, NUL included, is left to omni-sign.
fn text<'py>(name: &'static str, value: &Bound<'py, PyAny>) -> Result<Bound<'py, PyBytes>, Error> {
    if let Ok(s) = value.cast::<PyString>() {
        // Under the stable ABI for 3.9, borrowing a str's UTF-8 is not possible; encoding it
        // into one bytes object and borrowing that is the cheapest conversion left.
        return s.encode_utf8().map_err(|_| Error::InvalidUtf8(name));
    }
    if let Ok(b) = value.cast::<PyBytes>() {
        return Ok(b.clone());
    }
    Err(if value.is_none() {
        Error::NullArgument(name)
    } else {
        Error::WrongType(name, "str or bytes")
    })
}

/// An optional text argument: `None` when absent (`""` is an empty value, which the signing
/// rules refuse for a header).
fn optional_text<'py>(
    name: &'static str,
    value: Option<&Bound<'py, PyAny>>,
) -> Result<Option<Bound<'py, PyBytes>>, Error> {
    match value {
        Some(v) if !v.is_none() => text(name, v).map(Some),
        _ => Ok(None),
    }
}

/// The text of a converted argument.
fn as_text<'a>(name: &'static str, value: &'a Bound<'_, PyBytes>) -> Result<&'a str, Error> {
    omni_bindings::text_bytes(name, value.as_bytes())
}

/// The text of a converted optional argument.
fn optional_as_text<'a>(
    name: &'static str,
    value: &'a Option<Bound<'_, PyBytes>>,
) -> Result<Option<&'a str>, Error> {
    value.as_ref().map(|v| as_text(name, v)).transpose()
}

/// Bytes: `bytes`, `bytearray`, `memoryview` or `str` (as UTF-8); `None` is empty when
/// `optional`.
fn bytes<'py>(
    name: &'static str,
    value: Option<&Bound<'py, PyAny>>,
    optional: bool,
) -> Result<Data<'py>, Error> {
    let Some(value) = value.filter(|v| !v.is_none()) else {
        return if optional {
            Ok(Data::Empty)
        } else {
            Err(Error::NullArgument(name))
        };
    };
    if let Ok(b) = value.cast::<PyBytes>() {
        return Ok(Data::Py(b.clone()));
    }
    if let Ok(b) = value.cast::<PyByteArray>() {
        // Copied: a bytearray may change while the GIL is released.
        return Ok(Data::Copied(b.to_vec()));
    }
    if let Ok(s) = value.cast::<PyString>() {
        return s
            .encode_utf8()
            .map(Data::Py)
            .map_err(|_| Error::InvalidUtf8(name));
    }
    if value.is_instance_of::<PyMemoryView>() {
        // The buffer protocol is not in the stable ABI before 3.11: copy through tobytes().
        return value
            .call_method0("tobytes")
            .ok()
            .and_then(|b| b.cast_into::<PyBytes>().ok())
            .map(Data::Py)
            .ok_or(Error::WrongType(name, "a readable memoryview"));
    }
    Err(Error::WrongType(
        name,
        "bytes, bytearray, memoryview or str",
    ))
}

/// An integer argument (`int`, not `float`); `out_of_range` beyond a signed 64-bit integer.
fn integer(
    name: &'static str,
    value: &Bound<'_, PyAny>,
    out_of_range: Error,
) -> Result<i64, Error> {
    if value.is_none() {
        return Err(Error::NullArgument(name));
    }
    let int = value
        .cast::<PyInt>()
        .map_err(|_| Error::WrongType(name, "an int"))?;
    int.extract::<i64>().map_err(|_| out_of_range)
}

/// The arguments of one request, converted.
struct RequestArgs<'py> {
    method: Bound<'py, PyBytes>,
    url: Bound<'py, PyBytes>,
    partner_client_id: Bound<'py, PyBytes>,
    store_client_id: Option<Bound<'py, PyBytes>>,
    store_token: Option<Bound<'py, PyBytes>>,
    timestamp_ms: i64,
    body: Data<'py>,
}

impl<'py> RequestArgs<'py> {
    fn new(
        method: &Bound<'py, PyAny>,
        url: &Bound<'py, PyAny>,
        partner_client_id: &Bound<'py, PyAny>,
        timestamp_ms: &Bound<'py, PyAny>,
        body: Option<&Bound<'py, PyAny>>,
        store_client_id: Option<&Bound<'py, PyAny>>,
        store_token: Option<&Bound<'py, PyAny>>,
    ) -> Result<Self, Error> {
        Ok(RequestArgs {
            method: text("method", method)?,
            url: text("url", url)?,
            partner_client_id: text("partner_client_id", partner_client_id)?,
            store_client_id: optional_text("store_client_id", store_client_id)?,
            store_token: optional_text("store_token", store_token)?,
            timestamp_ms: integer(
                "timestamp_ms",
                timestamp_ms,
                Error::InvalidTimestamp("timestamp_ms"),
            )?,
            body: bytes("body", body, true)?,
        })
    }

    fn request(&self) -> Result<Request<'_>, Error> {
        Ok(Request {
            method: as_text("method", &self.method)?,
            url: as_text("url", &self.url)?,
            partner_client_id: as_text("partner_client_id", &self.partner_client_id)?,
            store_client_id: optional_as_text("store_client_id", &self.store_client_id)?,
            store_token: optional_as_text("store_token", &self.store_token)?,
            timestamp_ms: self.timestamp_ms,
            body: self.body.as_bytes(),
        })
    }

    /// Signs, with the GIL released for long bodies.
    fn sign(
        &self,
        py: Python<'_>,
        signer: &omni_sign::Signer,
        format: SignatureFormat,
    ) -> Result<omni_sign::SignatureText, Error> {
        let request = self.request()?;
        if request.body.len() >= RELEASE_GIL_FROM {
            py.detach(|| request.sign(signer, format))
        } else {
            request.sign(signer, format)
        }
    }
}

fn secret<'py>(value: &Bound<'py, PyAny>) -> Result<Data<'py>, Error> {
    bytes("secret", Some(value), false)
}

fn format(bare_hex: bool) -> SignatureFormat {
    if bare_hex {
        SignatureFormat::BareHex
    } else {
        SignatureFormat::Prefixed
    }
}

/// One partner secret key, hashed once. Thread-safe: share one between threads. `close()`
/// (or leaving a `with` block) wipes the key state; so does garbage collection.
#[pyclass(frozen, module = "omni")]
struct Signer {
    /// `None` once closed. Signing takes the read lock; a thread signing a long body with the
    /// GIL released keeps `close()` waiting until it is done.
    key: RwLock<Option<omni_sign::Signer>>,
}

impl Signer {
    fn with_key<T>(
        &self,
        f: impl FnOnce(&omni_sign::Signer) -> Result<T, Error>,
    ) -> Result<T, Error> {
        // A poisoned lock only means a panic happened elsewhere: the key state is still whole.
        let key = self.key.read().unwrap_or_else(|e| e.into_inner());
        f(key.as_ref().ok_or(Error::Closed)?)
    }
}

#[pymethods]
impl Signer {
    #[new]
    fn new(py: Python<'_>, secret: &Bound<'_, PyAny>) -> PyResult<Self> {
        let key = self::secret(secret)
            .and_then(|s| omni_bindings::signer(s.as_bytes()))
            .map_err(|e| raise(py, e))?;
        Ok(Signer {
            key: RwLock::new(Some(key)),
        })
    }

    /// `x-signature` of one request: `sha256=<hex>`, or bare hex when asked.
    #[pyo3(signature = (method, url, partner_client_id, timestamp_ms, body=None, store_client_id=None, store_token=None, bare_hex=false))]
    fn sign(
        &self,
        py: Python<'_>,
        method: &Bound<'_, PyAny>,
        url: &Bound<'_, PyAny>,
        partner_client_id: &Bound<'_, PyAny>,
        timestamp_ms: &Bound<'_, PyAny>,
        body: Option<&Bound<'_, PyAny>>,
        store_client_id: Option<&Bound<'_, PyAny>>,
        store_token: Option<&Bound<'_, PyAny>>,
        bare_hex: bool,
    ) -> PyResult<String> {
        RequestArgs::new(
            method,
            url,
            partner_client_id,
            timestamp_ms,
            body,
            store_client_id,
            store_token,
        )
        .and_then(|args| self.with_key(|key| args.sign(py, key, format(bare_hex))))
        .map(|text| text.as_str().to_owned())
        .map_err(|e| raise(py, e))
    }

    /// Signs many requests in one call. Each request is a tuple of `sign`'s arguments:
    /// `(method, url, partner_client_id, timestamp_ms[, body[, store_client_id[,
    /// store_token]]])`. Returns the signatures in order; raises on the first refusal.
    #[pyo3(signature = (requests, bare_hex=false))]
    fn sign_many(
        &self,
        py: Python<'_>,
        requests: &Bound<'_, PyAny>,
        bare_hex: bool,
    ) -> PyResult<Vec<String>> {
        let mut out = Vec::new();
        for item in requests.try_iter()? {
            let item = item?;
            let row = item
                .cast::<PyTuple>()
                .map_err(|_| raise(py, Error::WrongType("requests", "an iterable of tuples")))?;
            if !(4..=7).contains(&row.len()) {
                return Err(raise(
                    py,
                    Error::WrongType("requests", "tuples of 4 to 7 items"),
                ));
            }
            let field = |i: usize| row.get_item(i).ok();
            let (m, u, p, t) = (field(0), field(1), field(2), field(3));
            let (b, s, k) = (field(4), field(5), field(6));
            let (Some(m), Some(u), Some(p), Some(t)) = (m, u, p, t) else {
                return Err(PyRuntimeError::new_err("tuple item vanished"));
            };
            let signed = RequestArgs::new(&m, &u, &p, &t, b.as_ref(), s.as_ref(), k.as_ref())
                .and_then(|args| self.with_key(|key| args.sign(py, key, format(bare_hex))))
                .map_err(|e| raise(py, e))?;
            out.push(signed.as_str().to_owned());
        }
        Ok(out)
    }

    /// Wipes and releases the key state; later calls raise `omni.OmniError`
    /// (`OMNI_NULL_ARGUMENT`). Closing twice is fine.
    fn close(&self, py: Python<'_>) {
        // Waits (GIL released) for threads signing long bodies with the GIL released.
        py.detach(|| {
            let mut key = self.key.write().unwrap_or_else(|e| e.into_inner());
            *key = None;
        });
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, PyTuple>) {
        self.close(py);
    }

    fn __repr__(&self) -> String {
        format!("omni.Signer({})", omni_sign::REDACTED)
    }
}

/// `x-signature` (`sha256=<hex>`) of one request, hashing the key for this call only.
#[pyfunction]
#[pyo3(signature = (secret, method, url, partner_client_id, timestamp_ms, body=None, store_client_id=None, store_token=None))]
fn sign(
    py: Python<'_>,
    secret: &Bound<'_, PyAny>,
    method: &Bound<'_, PyAny>,
    url: &Bound<'_, PyAny>,
    partner_client_id: &Bound<'_, PyAny>,
    timestamp_ms: &Bound<'_, PyAny>,
    body: Option<&Bound<'_, PyAny>>,
    store_client_id: Option<&Bound<'_, PyAny>>,
    store_token: Option<&Bound<'_, PyAny>>,
) -> PyResult<String> {
    Signer::new(py, secret)?.sign(
        py,
        method,
        url,
        partner_client_id,
        timestamp_ms,
        body,
        store_client_id,
        store_token,
        false,
    )
}

/// The exact base string that is signed (it holds the store token: do not log it).
#[pyfunction]
#[pyo3(signature = (method, url, partner_client_id, timestamp_ms, body=None, store_client_id=None, store_token=None))]
fn base_string(
    py: Python<'_>,
    method: &Bound<'_, PyAny>,
    url: &Bound<'_, PyAny>,
    partner_client_id: &Bound<'_, PyAny>,
    timestamp_ms: &Bound<'_, PyAny>,
    body: Option<&Bound<'_, PyAny>>,
    store_client_id: Option<&Bound<'_, PyAny>>,
    store_token: Option<&Bound<'_, PyAny>>,
) -> PyResult<String> {
    RequestArgs::new(
        method,
        url,
        partner_client_id,
        timestamp_ms,
        body,
        store_client_id,
        store_token,
    )
    .and_then(|args| args.request()?.base_string())
    .map_err(|e| raise(py, e))
}

/// Lowercase hex SHA-256 of the body.
#[pyfunction]
fn body_hash(py: Python<'_>, body: &Bound<'_, PyAny>) -> PyResult<String> {
    let body = bytes("body", Some(body), false).map_err(|e| raise(py, e))?;
    let body = body.as_bytes();
    Ok(if body.len() >= RELEASE_GIL_FROM {
        py.detach(|| omni_bindings::body_hash(body))
    } else {
        omni_bindings::body_hash(body)
    })
}

/// Verifies a received request as a server does. Returns `None` when accepted; raises
/// `omni.VerificationError` (window, signature format, mismatch) or `omni.InvalidInputError`
/// (malformed headers) whose status says which check failed. `timestamp` is the x-timestamp
/// text (an `int` is written in decimal); `now_ms` defaults to the system clock and
/// `tolerance_ms` to `DEFAULT_TOLERANCE_MS`.
#[pyfunction]
#[pyo3(signature = (secret, method, url, partner_client_id, timestamp, signature, body=None, store_client_id=None, store_token=None, now_ms=None, tolerance_ms=None, strict=false))]
fn verify(
    py: Python<'_>,
    secret: &Bound<'_, PyAny>,
    method: &Bound<'_, PyAny>,
    url: &Bound<'_, PyAny>,
    partner_client_id: &Bound<'_, PyAny>,
    timestamp: &Bound<'_, PyAny>,
    signature: &Bound<'_, PyAny>,
    body: Option<&Bound<'_, PyAny>>,
    store_client_id: Option<&Bound<'_, PyAny>>,
    store_token: Option<&Bound<'_, PyAny>>,
    now_ms: Option<&Bound<'_, PyAny>>,
    tolerance_ms: Option<&Bound<'_, PyAny>>,
    strict: bool,
) -> PyResult<()> {
    let run = || -> Result<(), Error> {
        let secret = self::secret(secret)?;
        let timestamp = if timestamp.is_instance_of::<PyInt>() {
            let ms = integer("timestamp", timestamp, Error::InvalidTimestamp("timestamp"))?;
            PyBytes::new(py, ms.to_string().as_bytes())
        } else {
            text("timestamp", timestamp)?
        };
        let out_of_range = |name| Error::OutOfRange(name, "beyond a signed 64-bit integer");
        let now_ms = match now_ms.filter(|n| !n.is_none()) {
            Some(n) => integer("now_ms", n, out_of_range("now_ms"))?,
            None => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
        };
        let tolerance_ms = match tolerance_ms.filter(|t| !t.is_none()) {
            Some(t) => integer("tolerance_ms", t, out_of_range("tolerance_ms"))?,
            None => omni_sign::DEFAULT_TOLERANCE_MS as i64,
        };
        let store_client_id = optional_text("store_client_id", store_client_id)?;
        let store_token = optional_text("store_token", store_token)?;
        let (method, url) = (text("method", method)?, text("url", url)?);
        let partner_client_id = text("partner_client_id", partner_client_id)?;
        let signature = text("signature", signature)?;
        let body = bytes("body", body, true)?;
        let received = Received {
            method: as_text("method", &method)?,
            url: as_text("url", &url)?,
            partner_client_id: as_text("partner_client_id", &partner_client_id)?,
            store_client_id: optional_as_text("store_client_id", &store_client_id)?,
            store_token: optional_as_text("store_token", &store_token)?,
            timestamp: as_text("timestamp", &timestamp)?,
            signature: as_text("signature", &signature)?,
            body: body.as_bytes(),
        };
        let check = Check {
            now_ms,
            tolerance_ms,
            strict,
        };
        omni_bindings::verify(secret.as_bytes(), &received, check)
    };
    run().map_err(|e| raise(py, e))
}

/// Rewrites JSON text exactly as JavaScript's `JSON.stringify(JSON.parse(text))` would; a
/// value such a parse would change (an integer beyond 2^53) is refused.
#[pyfunction]
fn json_stringify(py: Python<'_>, text: &Bound<'_, PyAny>) -> PyResult<String> {
    bytes("text", Some(text), false)
        .and_then(|t| omni_bindings::json_stringify(t.as_bytes()))
        .map_err(|e| raise(py, e))
}

/// The native module `omni._omni`; `omni/__init__.py` re-exports it.
#[pymodule]
fn _omni(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Signer>()?;
    m.add_function(wrap_pyfunction!(sign, m)?)?;
    m.add_function(wrap_pyfunction!(base_string, m)?)?;
    m.add_function(wrap_pyfunction!(body_hash, m)?)?;
    m.add_function(wrap_pyfunction!(verify, m)?)?;
    m.add_function(wrap_pyfunction!(json_stringify, m)?)?;
    m.add("DEFAULT_TOLERANCE_MS", omni_sign::DEFAULT_TOLERANCE_MS)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
