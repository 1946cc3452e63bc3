package omni;

/**
 * A refused call: {@link #status()} is the status name shared by libomni and every binding
 * ({@code OMNI_} and the kind of refusal in upper case, e.g. {@code OMNI_STORE_TOKEN_MISSING},
 * {@code OMNI_INVALID_UTF8}, {@code OMNI_SIGNATURE_MISMATCH}); the message says what was wrong
 * and never holds a secret, a store token or a header value.
 */
public final class OmniException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** The status name. */
  private final String status;

  /** Thrown by libomni_jni (and for a null request) with a status name and a message. */
  OmniException(String status, String message) {
    super(status + ": " + message);
    this.status = status;
  }

  /** The status name, e.g. {@code "OMNI_INVALID_METHOD"}. */
  public String status() {
    return status;
  }
}
