package omni;

import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.nio.charset.StandardCharsets;

/**
 * One partner secret key, hashed once; thread-safe: share one Signer between threads.
 *
 * <pre>{@code
 * try (Signer signer = Signer.create(secret)) {
 *   String sig = signer.sign(new Request("POST", "https://h/api/v1/partner/x", "ptnr_1",
 *       null, null, System.currentTimeMillis(), body));
 * }
 * }</pre>
 *
 * <p>The key state lives in native memory. {@link #close()} wipes it, after any signing in
 * flight on other threads; signing afterwards throws {@link IllegalStateException}. A Signer
 * that is never closed is wiped and released by a {@link Cleaner} once it is unreachable.
 */
public final class Signer implements AutoCloseable {
  private static final Cleaner CLEANER = Cleaner.create();

  static {
    NativeLibrary.load();
  }

  /** The native handle's address; released only by the Cleaner, so never dangling here. */
  private final long handle;

  /**
   * A signer for {@code secret}, hashed once; the caller may wipe its array afterwards. The
   * same as {@code new Signer(secret)}.
   *
   * @throws OmniException when the key is refused (an empty secret)
   */
  public static Signer create(byte[] secret) {
    return new Signer(secret);
  }

  /** Hashes {@code secret}; the caller may wipe its array afterwards. */
  public Signer(byte[] secret) {
    long h = newHandle(secret);
    handle = h;
    CLEANER.register(this, () -> free(h)); // the action must not capture this
  }

  /** x-signature of r: {@code sha256=<hex>}. */
  public String sign(Request r) {
    return sign(r, false);
  }

  /** x-signature of r, as bare hex when asked ({@code signature-format}). */
  public String sign(Request r, boolean bareHex) {
    Omni.checked(r);
    String m = r.method(), u = r.url(), p = r.partnerClientId(), s = r.storeClientId();
    String t = r.storeToken();
    byte[] b = r.body();
    Scratch scratch = Scratch.take();
    try {
      if (scratch.load(m, u, p, s, t)) {
        // A body carried in the scratch crosses as a null array with its length.
        byte[] array = scratch.carry(b) ? null : b;
        int n = signScratch(handle, scratch.address, Strings.length(m), Strings.length(u),
            Strings.length(p), Strings.length(s), Strings.length(t), r.timestampMs(), array,
            Strings.length(b), bareHex);
        return scratch.signature(n);
      }
    } finally {
      scratch.release();
      // The handle and the scratch's buffer must outlive the native call: keep this object
      // (and so its Cleaner's action) and the scratch reachable until the call has returned.
      Reference.reachabilityFence(scratch);
      Reference.reachabilityFence(this);
    }
    // Too long for a scratch: the strings cross joined.
    byte[] out = new byte[Omni.SIGNATURE_MAX_LENGTH];
    try {
      int n = signWith(handle, Strings.join(m, u, p, s, t), Strings.length(m),
          Strings.length(u), Strings.length(p), Strings.length(s), Strings.length(t),
          r.timestampMs(), b, Strings.length(b), bareHex, out);
      return new String(out, 0, n, StandardCharsets.ISO_8859_1);
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  /** Wipes the key state once signing in flight is done; later calls throw. Idempotent. */
  @Override
  public void close() {
    try {
      wipe(handle);
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  // libomni_jni's entry points (bindings/java/native/src/lib.rs).

  private static native long newHandle(byte[] secret);

  // A request's strings cross joined, with their lengths (see Strings).
  // The signature is written into out (Omni.SIGNATURE_MAX_LENGTH bytes); its length returned.
  private static native int signWith(long handle, String strings, int methodLength,
      int urlLength, int partnerLength, int storeIdLength, int storeTokenLength,
      long timestampMs, byte[] body, int bodyLength, boolean bareHex, byte[] out);

  // The request's strings (and body, when body is null) are loaded in the scratch at address
  // scratch (see Scratch); the signature is written at its start, its length returned.
  private static native int signScratch(long handle, long scratch, int methodLength,
      int urlLength, int partnerLength, int storeIdLength, int storeTokenLength,
      long timestampMs, byte[] body, int bodyLength, boolean bareHex);

  private static native void wipe(long handle);

  private static native void free(long handle);
}
