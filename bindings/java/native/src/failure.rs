//! Refusals and how they reach Java: an `omni.OmniException` carrying the status name and the
//! message, or the Java exception a JNI call left pending.

use std::any::Any;
use std::borrow::Cow;

use jni::errors::ErrorPolicy;
use jni::objects::{JObject, JValue};
use jni::{Env, jni_sig, jni_str};

/// Why a native method did not return a value.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The call was refused: thrown as `omni.OmniException(status, message)`.
    Refused {
        /// The status name, `OMNI_` and the kind in upper case (the convention libomni and
        /// every binding share).
        status: Cow<'static, str>,
        /// What was wrong; never a secret, a store token or a header value.
        message: Cow<'static, str>,
    },
    /// The signer was closed: thrown as `java.lang.IllegalStateException`.
    Closed,
    /// A JNI call failed; when it left a Java exception pending, that exception is what Java
    /// sees, otherwise an `OmniException` with `OMNI_PANIC`.
    Jni(jni::errors::Error),
    /// The work panicked (a bug): an `OmniException` with `OMNI_PANIC`. The panic's text is
    /// not shown: it could quote an argument.
    Panic,
}

impl Failure {
    /// A refusal with a fixed status and message.
    pub(crate) fn refused(status: &'static str, message: &'static str) -> Self {
        Failure::Refused {
            status: Cow::Borrowed(status),
            message: Cow::Borrowed(message),
        }
    }

    /// A required argument was `null`.
    pub(crate) fn null(what: &'static str) -> Self {
        Failure::refused("OMNI_NULL_ARGUMENT", what)
    }
}

impl From<jni::errors::Error> for Failure {
    fn from(error: jni::errors::Error) -> Self {
        Failure::Jni(error)
    }
}

impl From<omni_sign::Error> for Failure {
    /// `OMNI_` + [`omni_sign::Error::kind`] in upper case, and the error's text (omni-sign's
    /// errors never hold a secret or a header value).
    fn from(error: omni_sign::Error) -> Self {
        let mut status = String::from("OMNI_");
        status.push_str(error.kind());
        status.make_ascii_uppercase();
        Failure::Refused {
            status: Cow::Owned(status),
            message: Cow::Owned(error.to_string()),
        }
    }
}

/// The error policy of every entry point: a [`Failure`] or a panic becomes a Java exception
/// and the native method returns its default (`null`, `0`); nothing unwinds into the JVM.
#[derive(Debug)]
pub(crate) struct ThrowOmni;

/// Throws `omni.OmniException(status, message)`.
fn throw_omni(env: &mut Env<'_>, status: &str, message: &str) -> jni::errors::Result<()> {
    let status = env.new_string(status)?;
    let message = env.new_string(message)?;
    let exception = env.new_object(
        jni_str!("omni/OmniException"),
        jni_sig!("(Ljava/lang/String;Ljava/lang/String;)V"),
        &[
            JValue::Object(&JObject::from(status)),
            JValue::Object(&JObject::from(message)),
        ],
    )?;
    let exception = jni::objects::JThrowable::cast_local(env, exception)?;
    match env.throw(exception) {
        Err(jni::errors::Error::JavaException) | Ok(()) => Ok(()),
        Err(other) => Err(other),
    }
}

impl<T: Default> ErrorPolicy<T, Failure> for ThrowOmni {
    type Captures<'unowned_env_local: 'native_method, 'native_method> = ();

    fn on_error<'unowned_env_local: 'native_method, 'native_method>(
        env: &mut Env<'unowned_env_local>,
        _cap: &mut (),
        failure: Failure,
    ) -> jni::errors::Result<T> {
        match failure {
            Failure::Refused { status, message } => throw_omni(env, &status, &message)?,
            Failure::Closed => {
                match env.throw_new(
                    jni_str!("java/lang/IllegalStateException"),
                    jni_str!("the signer is closed"),
                ) {
                    Err(jni::errors::Error::JavaException) | Ok(()) => {}
                    Err(other) => return Err(other),
                }
            }
            Failure::Panic => {
                if !env.exception_check() {
                    throw_omni(env, "OMNI_PANIC", "internal error (panic) in libomni_jni")?;
                }
            }
            // The exception the JNI call raised is already pending: Java sees it.
            Failure::Jni(jni::errors::Error::JavaException) => {}
            Failure::Jni(other) => {
                if !env.exception_check() {
                    throw_omni(env, "OMNI_PANIC", &format!("JNI call failed: {other}"))?;
                }
            }
        }
        Ok(T::default())
    }

    fn on_panic<'unowned_env_local: 'native_method, 'native_method>(
        env: &mut Env<'unowned_env_local>,
        _cap: &mut (),
        _payload: Box<dyn Any + Send + 'static>,
    ) -> jni::errors::Result<T> {
        // The payload's text is not shown: a panic message could quote an argument.
        if !env.exception_check() {
            throw_omni(env, "OMNI_PANIC", "internal error (panic) in libomni_jni")?;
        }
        Ok(T::default())
    }
}
