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

use std::ffi::{CStr, c_char, c_int};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::RwLock;

use omni_bindings::omni_sign::{self, SignatureFormat};
use omni_bindings::{Check, Class, Error, Received, Request};
use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::ffi;
use pyo3::panic::PanicException;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyInt, PyMemoryView, PyString, PyTuple, PyType};
use zeroize::Zeroize;

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

/// Bytes taken from a Python argument: borrowed from it, or a copy.
enum Data<'a> {
    Borrowed(&'a [u8]),
    Copied(Vec<u8>),
}

impl Data<'_> {
    fn as_bytes(&self) -> &[u8] {
        match self {
            Data::Borrowed(b) => b,
            Data::Copied(v) => v,
        }
    }

    /// Wipes a copy (of a secret key given as `bytearray` or `memoryview`).
    fn wipe(self) {
        if let Data::Copied(mut v) = self {
            v.zeroize();
        }
    }
}

unsafe extern "C" {
    /// In CPython since 3.3 with this signature, in the limited API only from 3.10: pyo3
    /// declares it for abi3 builds from 3.10 on, so it is declared here for the 3.9 wheel.
    /// The UTF-8 it returns is cached in the `str` object and lives as long as the object.
    fn PyUnicode_AsUTF8AndSize(
        unicode: *mut ffi::PyObject,
        size: *mut ffi::Py_ssize_t,
    ) -> *const c_char;
}

/// A `str`'s UTF-8, borrowed from the object (no copy: the limited API's other way for 3.9,
/// encoding each argument into a new `bytes` object, is five allocations a call). A lone
/// surrogate cannot be encoded and is refused as invalid UTF-8, never replaced.
fn str_utf8<'a>(name: &'static str, value: &'a Bound<'_, PyString>) -> Result<&'a str, Error> {
    let mut len: ffi::Py_ssize_t = 0;
    // SAFETY: `value` is a live `str` and the GIL is held.
    let data = unsafe { PyUnicode_AsUTF8AndSize(value.as_ptr(), &mut len) };
    if data.is_null() {
        // CPython raised UnicodeEncodeError (a lone surrogate): replaced by our refusal.
        drop(PyErr::take(value.py()));
        return Err(Error::InvalidUtf8(name));
    }
    let len = usize::try_from(len).map_err(|_| Error::InvalidUtf8(name))?;
    // SAFETY: CPython keeps `len` bytes of valid UTF-8 at `data`, owned by `value`, which
    // outlives `'a`; a `str` never changes.
    Ok(unsafe { std::str::from_utf8_unchecked(std::slice::from_raw_parts(data.cast(), len)) })
}

/// A text argument: `str`, or `bytes` holding UTF-8. Any character the signing rules forbid,
/// NUL included, is left to omni-sign.
fn text<'a>(name: &'static str, value: &'a Bound<'_, PyAny>) -> Result<&'a str, Error> {
    if let Ok(s) = value.cast::<PyString>() {
        return str_utf8(name, s);
    }
    if let Ok(b) = value.cast::<PyBytes>() {
        return omni_bindings::text_bytes(name, b.as_bytes());
    }
    Err(if value.is_none() {
        Error::NullArgument(name)
    } else {
        Error::WrongType(name, "str or bytes")
    })
}

/// An optional text argument: `None` when absent (`""` is an empty value, which the signing
/// rules refuse for a header).
fn optional_text<'a>(
    name: &'static str,
    value: Option<&'a Bound<'_, PyAny>>,
) -> Result<Option<&'a str>, Error> {
    match value {
        Some(v) if !v.is_none() => text(name, v).map(Some),
        _ => Ok(None),
    }
}

/// Bytes: `bytes`, `bytearray`, `memoryview` or `str` (as UTF-8); `None` is empty when
/// `optional`.
fn bytes<'a>(
    name: &'static str,
    value: Option<&'a Bound<'_, PyAny>>,
    optional: bool,
) -> Result<Data<'a>, Error> {
    let Some(value) = value.filter(|v| !v.is_none()) else {
        return if optional {
            Ok(Data::Borrowed(&[]))
        } else {
            Err(Error::NullArgument(name))
        };
    };
    if let Ok(b) = value.cast::<PyBytes>() {
        return Ok(Data::Borrowed(b.as_bytes()));
    }
    if let Ok(b) = value.cast::<PyByteArray>() {
        // Copied: a bytearray may change while the GIL is released.
        return Ok(Data::Copied(b.to_vec()));
    }
    if let Ok(s) = value.cast::<PyString>() {
        return str_utf8(name, s).map(|s| Data::Borrowed(s.as_bytes()));
    }
    if value.is_instance_of::<PyMemoryView>() {
        // The buffer protocol is not in the stable ABI before 3.11: copy through tobytes().
        return value
            .call_method0("tobytes")
            .ok()
            .and_then(|b| b.cast_into::<PyBytes>().ok())
            .map(|b| Data::Copied(b.as_bytes().to_vec()))
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

/// The arguments of one request, converted (borrowed from the Python objects).
struct RequestArgs<'a> {
    method: &'a str,
    url: &'a str,
    partner_client_id: &'a str,
    store_client_id: Option<&'a str>,
    store_token: Option<&'a str>,
    timestamp_ms: i64,
    body: Data<'a>,
}

impl<'a> RequestArgs<'a> {
    fn new(
        method: &'a Bound<'_, PyAny>,
        url: &'a Bound<'_, PyAny>,
        partner_client_id: &'a Bound<'_, PyAny>,
        timestamp_ms: &'a Bound<'_, PyAny>,
        body: Option<&'a Bound<'_, PyAny>>,
        store_client_id: Option<&'a Bound<'_, PyAny>>,
        store_token: Option<&'a Bound<'_, PyAny>>,
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

    fn request(&self) -> Request<'_> {
        Request {
            method: self.method,
            url: self.url,
            partner_client_id: self.partner_client_id,
            store_client_id: self.store_client_id,
            store_token: self.store_token,
            timestamp_ms: self.timestamp_ms,
            body: self.body.as_bytes(),
        }
    }

    /// Signs, with the GIL released for long bodies.
    fn sign(
        &self,
        py: Python<'_>,
        signer: &omni_sign::Signer,
        format: SignatureFormat,
    ) -> Result<omni_sign::SignatureText, Error> {
        let request = self.request();
        if request.body.len() >= RELEASE_GIL_FROM {
            py.detach(|| request.sign(signer, format))
        } else {
            request.sign(signer, format)
        }
    }
}

fn secret<'a>(value: &'a Bound<'_, PyAny>) -> Result<Data<'a>, Error> {
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

    /// `x-signature` of one request: `sha256=<hex>`, or bare hex when asked. Python calls it
    /// through [`signer_sign_fastcall`].
    fn sign<'py>(
        &self,
        py: Python<'py>,
        method: &Bound<'_, PyAny>,
        url: &Bound<'_, PyAny>,
        partner_client_id: &Bound<'_, PyAny>,
        timestamp_ms: &Bound<'_, PyAny>,
        body: Option<&Bound<'_, PyAny>>,
        store_client_id: Option<&Bound<'_, PyAny>>,
        store_token: Option<&Bound<'_, PyAny>>,
        bare_hex: bool,
    ) -> PyResult<Bound<'py, PyString>> {
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
        .map(|text| PyString::new(py, text.as_str()))
        .map_err(|e| raise(py, e))
    }
}

#[pymethods]
impl Signer {
    #[new]
    fn new(py: Python<'_>, secret: &Bound<'_, PyAny>) -> PyResult<Self> {
        let key = self::secret(secret)
            .and_then(|s| {
                let key = omni_bindings::signer(s.as_bytes());
                s.wipe();
                key
            })
            .map_err(|e| raise(py, e))?;
        Ok(Signer {
            key: RwLock::new(Some(key)),
        })
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

/// `Signer.sign`'s parameters in order; the first [`SIGN_REQUIRED`] are required.
const SIGN_PARAMETERS: [&str; 8] = [
    "method",
    "url",
    "partner_client_id",
    "timestamp_ms",
    "body",
    "store_client_id",
    "store_token",
    "bare_hex",
];

/// How many of [`SIGN_PARAMETERS`] a call must give.
const SIGN_REQUIRED: usize = 4;

/// `Signer.sign`'s docstring; its first line gives `inspect.signature` the parameters.
const SIGN_DOC: &CStr = c"sign($self, method, url, partner_client_id, timestamp_ms, body=None, store_client_id=None, store_token=None, bare_hex=False)
--

`x-signature` of one request: `sha256=<hex>`, or bare hex when asked.";

/// CPython's `METH_FASTCALL` (PEP 590: a method gets its arguments as a C array, keyword
/// names in a tuple, with no tuple or dict built per call). In CPython since 3.7 with this
/// value; in the limited API only from 3.10, so PyO3 uses it only in wheels for 3.10 and
/// newer, and the 3.9 wheel's `Signer.sign` would pay for an argument tuple on every call.
const METH_FASTCALL: c_int = 0x0080;

/// The C type of a `METH_FASTCALL | METH_KEYWORDS` method.
type FastcallWithKeywords = unsafe extern "C" fn(
    *mut ffi::PyObject,
    *const *mut ffi::PyObject,
    ffi::Py_ssize_t,
    *mut ffi::PyObject,
) -> *mut ffi::PyObject;

/// A method definition CPython keeps a pointer to.
struct MethodDef(ffi::PyMethodDef);

// SAFETY: never written; CPython only reads it.
unsafe impl Sync for MethodDef {}

/// `Signer.sign`, installed on the class by [`install_signer_sign`].
static SIGN_METHOD: MethodDef = MethodDef(ffi::PyMethodDef {
    ml_name: c"sign".as_ptr(),
    ml_meth: ffi::PyMethodDefPointer {
        // SAFETY: CPython calls a METH_FASTCALL | METH_KEYWORDS method with this signature,
        // casting the pointer as C code does (the union has no member of this type in the
        // limited API before 3.10).
        PyCFunction: unsafe {
            std::mem::transmute::<FastcallWithKeywords, ffi::PyCFunction>(signer_sign_fastcall)
        },
    },
    ml_flags: METH_FASTCALL | ffi::METH_KEYWORDS,
    ml_doc: SIGN_DOC.as_ptr(),
});

/// Makes `Signer.sign` the [`SIGN_METHOD`] descriptor.
///
/// `Signer.sign` is the call this module exists for, and CPython calls a PyO3 method of an
/// abi3 wheel for 3.9 with its arguments packed into a new tuple (and keywords into a dict)
/// that PyO3 then unpacks, a cost `bindings/bench.sh` measures. This method takes them as
/// CPython's vectorcall passes them, sorted by [`sign_arguments`], and signs through the same
/// [`Signer::sign`].
fn install_signer_sign(signer: &Bound<'_, PyType>) -> PyResult<()> {
    let def = std::ptr::from_ref(&SIGN_METHOD.0).cast_mut();
    // SAFETY: `signer` is a live type; CPython only reads `def`, which is static.
    let descriptor = unsafe {
        Bound::from_owned_ptr_or_err(
            signer.py(),
            ffi::PyDescr_NewMethod(signer.as_type_ptr(), def),
        )
    }?;
    signer.setattr("sign", descriptor)
}

/// `Signer.sign` as CPython calls it: `args` holds `nargs` positional arguments, then the
/// value of each keyword named in `kwnames` (a tuple, or NULL without keywords). Errors are
/// raised as PyO3 raises them; a panic becomes PyO3's `PanicException`, never crossing into
/// CPython.
unsafe extern "C" fn signer_sign_fastcall(
    slf: *mut ffi::PyObject,
    args: *const *mut ffi::PyObject,
    nargs: ffi::Py_ssize_t,
    kwnames: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: CPython calls a method attached to the interpreter (holding the GIL).
    let py = unsafe { Python::assume_attached() };
    let call = || -> PyResult<*mut ffi::PyObject> {
        let nargs = usize::try_from(nargs).unwrap_or(0);
        let kwnames = if kwnames.is_null() {
            None
        } else {
            // SAFETY: a live object, a tuple of str.
            Some(unsafe { Bound::ref_from_ptr(py, &kwnames) }.cast::<PyTuple>()?)
        };
        let count = nargs + kwnames.map_or(0, |k| k.len());
        let values = if count == 0 {
            &[][..]
        } else {
            // SAFETY: CPython passes `count` live objects at `args`, for this call.
            unsafe { std::slice::from_raw_parts(args, count) }
        };
        // SAFETY: as above; `slf` is a live object (CPython checked it is a `Signer`).
        let (slf, [m, u, p, t, b, s, k, h]) = unsafe {
            (
                Bound::ref_from_ptr(py, &slf),
                sign_arguments(py, values, nargs, kwnames)?,
            )
        };
        let signer = slf.cast::<Signer>()?;
        let (Some(m), Some(u), Some(p), Some(t)) = (m, u, p, t) else {
            return Err(PyRuntimeError::new_err("a required argument vanished"));
        };
        let bare_hex = h.map_or(Ok(false), |h| h.extract::<bool>())?;
        let signed = signer.get().sign(py, m, u, p, t, b, s, k, bare_hex)?;
        Ok(signed.into_ptr())
    };
    match catch_unwind(AssertUnwindSafe(call)) {
        Ok(Ok(signature)) => signature,
        Ok(Err(e)) => {
            e.restore(py);
            std::ptr::null_mut()
        }
        Err(_) => {
            PanicException::new_err("internal error (panic) in omni").restore(py);
            std::ptr::null_mut()
        }
    }
}

/// A vectorcall's arguments in [`SIGN_PARAMETERS`] order, `None` where not given, with the
/// `TypeError`s Python raises for a function with that signature: too many positional
/// arguments, an unknown keyword, a value given twice, a required argument missing.
///
/// # Safety
/// `values` are live objects: `nargs` positional arguments, then one per name in `kwnames`.
unsafe fn sign_arguments<'a, 'py>(
    py: Python<'py>,
    values: &'a [*mut ffi::PyObject],
    nargs: usize,
    kwnames: Option<&Bound<'py, PyTuple>>,
) -> PyResult<[Option<&'a Bound<'py, PyAny>>; 8]> {
    let mut slots = [None; 8];
    if nargs > slots.len() {
        return Err(PyTypeError::new_err(format!(
            "Signer.sign() takes at most {} arguments ({nargs} given)",
            slots.len()
        )));
    }
    for (slot, value) in slots.iter_mut().zip(&values[..nargs]) {
        // SAFETY: a live object, by the caller's contract.
        *slot = Some(unsafe { Bound::ref_from_ptr(py, value) });
    }
    if let Some(names) = kwnames {
        for (name, value) in names.iter().zip(&values[nargs..]) {
            let name = name.cast_into::<PyString>()?;
            let name = str_utf8("keyword", &name).unwrap_or("");
            let Some(i) = SIGN_PARAMETERS.iter().position(|p| *p == name) else {
                return Err(PyTypeError::new_err(format!(
                    "Signer.sign() got an unexpected keyword argument '{name}'"
                )));
            };
            if slots[i].is_some() {
                return Err(PyTypeError::new_err(format!(
                    "Signer.sign() got multiple values for argument '{name}'"
                )));
            }
            // SAFETY: a live object, by the caller's contract.
            slots[i] = Some(unsafe { Bound::ref_from_ptr(py, value) });
        }
    }
    if let Some(i) = slots[..SIGN_REQUIRED].iter().position(Option::is_none) {
        return Err(PyTypeError::new_err(format!(
            "Signer.sign() missing required argument '{}'",
            SIGN_PARAMETERS[i]
        )));
    }
    Ok(slots)
}

/// `x-signature` (`sha256=<hex>`) of one request, hashing the key for this call only.
#[pyfunction]
#[pyo3(signature = (secret, method, url, partner_client_id, timestamp_ms, body=None, store_client_id=None, store_token=None))]
fn sign<'py>(
    py: Python<'py>,
    secret: &Bound<'_, PyAny>,
    method: &Bound<'_, PyAny>,
    url: &Bound<'_, PyAny>,
    partner_client_id: &Bound<'_, PyAny>,
    timestamp_ms: &Bound<'_, PyAny>,
    body: Option<&Bound<'_, PyAny>>,
    store_client_id: Option<&Bound<'_, PyAny>>,
    store_token: Option<&Bound<'_, PyAny>>,
) -> PyResult<Bound<'py, PyString>> {
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
    .and_then(|args| args.request().base_string())
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
        let decimal;
        let timestamp = if timestamp.is_instance_of::<PyInt>() {
            let ms = integer("timestamp", timestamp, Error::InvalidTimestamp("timestamp"))?;
            decimal = ms.to_string();
            &decimal
        } else {
            text("timestamp", timestamp)?
        };
        let check = check(now_ms, tolerance_ms, strict)?;
        let body = bytes("body", body, true)?;
        let received = Received {
            method: text("method", method)?,
            url: text("url", url)?,
            partner_client_id: text("partner_client_id", partner_client_id)?,
            store_client_id: optional_text("store_client_id", store_client_id)?,
            store_token: optional_text("store_token", store_token)?,
            timestamp,
            signature: text("signature", signature)?,
            body: body.as_bytes(),
        };
        let verified = omni_bindings::verify(secret.as_bytes(), &received, check);
        secret.wipe();
        verified
    };
    run().map_err(|e| raise(py, e))
}

/// Why a server rejects (or accepts) a received request, as omni-diagnose's verdict decoded
/// from its versioned JSON (a dict: `version`, `accepted`, `check`, `combinations` of signer
/// pitfalls, ...; base strings hold the store token as `REDACTED`). `headers` are every header
/// as received, `x-signature` among them: a dict, or an iterable of `(name, value)` pairs. A
/// refused request is a verdict, not an exception; an unusable key or clock raises.
#[pyfunction]
#[pyo3(signature = (secret, method, url, headers, body=None, now_ms=None, tolerance_ms=None, strict=false))]
fn diagnose<'py>(
    py: Python<'py>,
    secret: &Bound<'py, PyAny>,
    method: &Bound<'py, PyAny>,
    url: &Bound<'py, PyAny>,
    headers: &Bound<'py, PyAny>,
    body: Option<&Bound<'py, PyAny>>,
    now_ms: Option<&Bound<'py, PyAny>>,
    tolerance_ms: Option<&Bound<'py, PyAny>>,
    strict: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let pairs = header_pairs(headers).map_err(|e| raise(py, e))?;
    let run = || -> Result<String, Error> {
        let secret = self::secret(secret)?;
        let mut received = Vec::with_capacity(pairs.len());
        for (name, value) in &pairs {
            received.push((text("headers", name)?, text("headers", value)?));
        }
        let verdict = omni_bindings::diagnose(
            secret.as_bytes(),
            text("method", method)?,
            text("url", url)?,
            &received,
            bytes("body", body, true)?.as_bytes(),
            check(now_ms, tolerance_ms, strict)?,
        );
        secret.wipe();
        verdict
    };
    let verdict = run().map_err(|e| raise(py, e))?;
    py.import("json")?.call_method1("loads", (verdict,))
}

/// One received header's name and value, as given.
type HeaderPair<'py> = (Bound<'py, PyAny>, Bound<'py, PyAny>);

/// Received headers: a dict, or an iterable of `(name, value)` pairs.
fn header_pairs<'py>(headers: &Bound<'py, PyAny>) -> Result<Vec<HeaderPair<'py>>, Error> {
    let wrong = || Error::WrongType("headers", "a dict or an iterable of (name, value) pairs");
    if headers.is_none() {
        return Err(Error::NullArgument("headers"));
    }
    let items = match headers.cast::<PyDict>() {
        Ok(dict) => dict.items().into_any(),
        Err(_) => headers.clone(),
    };
    let mut pairs = Vec::new();
    for item in items.try_iter().map_err(|_| wrong())? {
        let item = item.map_err(|_| wrong())?;
        let pair = item.cast::<PyTuple>().map_err(|_| wrong())?;
        if pair.len() != 2 {
            return Err(wrong());
        }
        let (Ok(name), Ok(value)) = (pair.get_item(0), pair.get_item(1)) else {
            return Err(wrong());
        };
        pairs.push((name, value));
    }
    Ok(pairs)
}

/// A server's clock, window and signature format, as `verify` and `diagnose` take them.
fn check(
    now_ms: Option<&Bound<'_, PyAny>>,
    tolerance_ms: Option<&Bound<'_, PyAny>>,
    strict: bool,
) -> Result<Check, Error> {
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
    Ok(Check {
        now_ms,
        tolerance_ms,
        strict,
    })
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
    install_signer_sign(&m.py().get_type::<Signer>())?;
    m.add_function(wrap_pyfunction!(sign, m)?)?;
    m.add_function(wrap_pyfunction!(base_string, m)?)?;
    m.add_function(wrap_pyfunction!(body_hash, m)?)?;
    m.add_function(wrap_pyfunction!(verify, m)?)?;
    m.add_function(wrap_pyfunction!(json_stringify, m)?)?;
    m.add_function(wrap_pyfunction!(diagnose, m)?)?;
    m.add("DEFAULT_TOLERANCE_MS", omni_sign::DEFAULT_TOLERANCE_MS)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
