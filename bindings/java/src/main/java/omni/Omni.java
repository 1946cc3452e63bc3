package omni;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * Omni Partner API request signing from Java, by omni-sign through JNI (libomni_jni).
 *
 * <pre>{@code
 * String sig = Omni.sign("partner-secret".getBytes(UTF_8), new Request("POST",
 *     "https://h/api/v1/partner/x", "ptnr_1", null, null, 1709024577000L, "{}".getBytes(UTF_8)));
 * }</pre>
 *
 * <p>Every method is thread-safe. A refusal is an {@link OmniException} with a status name and a
 * message: a signing rule's refusal is named after the rule ({@code OMNI_INVALID_METHOD}, {@code
 * OMNI_STORE_TOKEN_MISSING}, ...), a required argument that is null is {@code
 * OMNI_NULL_ARGUMENT}, a string holding a lone surrogate {@code OMNI_INVALID_UTF8}. Strings are
 * never replaced or truncated: a NUL character reaches the rules, which refuse it. The store
 * pair is absent when the store id and token are each null or ""; otherwise a null one is the
 * missing header and "" an empty value. To sign many requests with one key, use a {@link
 * Signer}: it hashes the key once. {@link #diagnose} says why a server rejects a request.
 */
public final class Omni {
  /** The server's default window around its clock: +-300 s. */
  public static final long DEFAULT_TOLERANCE_MS = 300_000L;

  /** The longest signature text: {@code sha256=} and 64 hex digits. */
  static final int SIGNATURE_MAX_LENGTH = 71;

  static {
    NativeLibrary.load();
  }

  private Omni() {}

  /** The loaded library's version. */
  public static String version() {
    return libraryVersion();
  }

  static Request checked(Request r) {
    if (r == null) {
      throw new OmniException("OMNI_NULL_ARGUMENT", "request is null");
    }
    return r;
  }

  /** x-signature ({@code sha256=<hex>}) of one request with a one-off key. */
  public static String sign(byte[] secret, Request r) {
    checked(r);
    String m = r.method(), u = r.url(), p = r.partnerClientId(), s = r.storeClientId();
    String t = r.storeToken();
    byte[] b = r.body();
    byte[] out = new byte[SIGNATURE_MAX_LENGTH];
    int n = signOnce(secret, Strings.join(m, u, p, s, t), Strings.length(m), Strings.length(u),
        Strings.length(p), Strings.length(s), Strings.length(t), r.timestampMs(), b,
        Strings.length(b), out);
    return new String(out, 0, n, StandardCharsets.ISO_8859_1);
  }

  /** The exact base string signed for r; it holds the store token, so treat it as a secret. */
  public static String baseString(Request r) {
    checked(r);
    String m = r.method(), u = r.url(), p = r.partnerClientId(), s = r.storeClientId();
    String t = r.storeToken();
    byte[] b = r.body();
    return new String(baseStringOf(Strings.join(m, u, p, s, t), Strings.length(m),
        Strings.length(u), Strings.length(p), Strings.length(s), Strings.length(t),
        r.timestampMs(), b, Strings.length(b)), StandardCharsets.UTF_8);
  }

  /** Lowercase hex SHA-256 of the body (null is the empty body). */
  public static String bodyHash(byte[] body) {
    return bodyHashOf(body);
  }

  /**
   * Verifies a received request as a server does: header values as received (store pair null
   * or "" when absent), the x-timestamp and x-signature text, the body bytes as received, the
   * server clock and the tolerance (the boundary is accepted). Returns normally when accepted;
   * otherwise throws an OmniException whose status names the check that failed ({@code
   * OMNI_TIMESTAMP_OUTSIDE_WINDOW}, {@code OMNI_MALFORMED_SIGNATURE}, {@code
   * OMNI_SIGNATURE_MISMATCH}, or a malformed header's status). {@code strict} accepts only
   * {@code sha256=<hex>}, not bare hex ({@code signature-format}).
   */
  public static void verify(byte[] secret, String method, String url, String partnerClientId,
      String storeClientId, String storeToken, String timestamp, String signature, byte[] body,
      long nowMs, long toleranceMs, boolean strict) {
    String joined = Strings.join(method, url, partnerClientId, storeClientId, storeToken)
        + Strings.nonNull(timestamp) + Strings.nonNull(signature);
    verifyRequest(secret, joined, Strings.length(method), Strings.length(url),
        Strings.length(partnerClientId), Strings.length(storeClientId),
        Strings.length(storeToken), Strings.length(timestamp), Strings.length(signature), body,
        Strings.length(body), nowMs, toleranceMs, strict);
  }

  /**
   * Re-writes a JSON text exactly as JavaScript's JSON.stringify(JSON.parse(text)) does
   * ({@code json-stringify-form}, strict), e.g. Jackson output, so it is sent and signed as a
   * JavaScript server sees it. {@code OMNI_INVALID_JSON} for text that is not JSON or that
   * JavaScript would change (an integer beyond 2^53).
   */
  public static String jsonStringify(String json) {
    return new String(restringify(json, Strings.length(json)), StandardCharsets.UTF_8);
  }

  /**
   * Why a server rejects (or accepts) a received request: omni-diagnose's verdict as its
   * versioned JSON ({@code {"version":1,"accepted":false,"check":"signature_mismatch",...,
   * "combinations":[{"pitfalls":[{"name":"query-signed",...}],...}]}}; the shape is in
   * crates/omni-diagnose/README.md). {@code headers} are every header as received, in order,
   * names in their case and repeated ones repeated, {@code x-signature} among them (e.g. {@code
   * Map.entry("x-partner-client-id", "ptnr_1")}); {@code url} with its query; {@code body} the
   * exact bytes (null is empty). A rejected or malformed request is a verdict, not an
   * exception; an empty secret is {@code OMNI_EMPTY_SECRET}, a negative clock or tolerance
   * {@code OMNI_INVALID_INPUT}. Store tokens appear in the verdict as {@code REDACTED}.
   */
  public static String diagnose(byte[] secret, String method, String url,
      List<Map.Entry<String, String>> headers, byte[] body, long nowMs, long toleranceMs,
      boolean strict) {
    if (headers == null) {
      throw new OmniException("OMNI_NULL_ARGUMENT", "headers is null");
    }
    StringBuilder joined = new StringBuilder(Strings.nonNull(method)).append(Strings.nonNull(url));
    int[] lengths = new int[2 + 2 * headers.size()];
    lengths[0] = Strings.length(method);
    lengths[1] = Strings.length(url);
    int i = 2;
    for (Map.Entry<String, String> header : headers) {
      if (header == null) {
        throw new OmniException("OMNI_NULL_ARGUMENT", "a header is null");
      }
      joined.append(Strings.nonNull(header.getKey())).append(Strings.nonNull(header.getValue()));
      lengths[i++] = Strings.length(header.getKey());
      lengths[i++] = Strings.length(header.getValue());
    }
    return new String(diagnoseRequest(secret, joined.toString(), lengths, body, nowMs,
        toleranceMs, strict), StandardCharsets.UTF_8);
  }

  // libomni_jni's entry points (bindings/java/native/src/lib.rs).

  static native String libraryVersion();

  // A request's strings cross joined, with their lengths (see Strings).

  // The signature is written into out (SIGNATURE_MAX_LENGTH bytes); its length is returned.
  private static native int signOnce(byte[] secret, String strings, int methodLength,
      int urlLength, int partnerLength, int storeIdLength, int storeTokenLength,
      long timestampMs, byte[] body, int bodyLength, byte[] out);

  private static native byte[] baseStringOf(String strings, int methodLength, int urlLength,
      int partnerLength, int storeIdLength, int storeTokenLength, long timestampMs, byte[] body,
      int bodyLength);

  private static native String bodyHashOf(byte[] body);

  private static native void verifyRequest(byte[] secret, String strings, int methodLength,
      int urlLength, int partnerLength, int storeIdLength, int storeTokenLength,
      int timestampLength, int signatureLength, byte[] body, int bodyLength, long nowMs,
      long toleranceMs, boolean strict);

  private static native byte[] restringify(String json, int jsonLength);

  // strings joins method, url and each header's name and value; lengths gives each one's.
  private static native byte[] diagnoseRequest(byte[] secret, String strings, int[] lengths,
      byte[] body, long nowMs, long toleranceMs, boolean strict);
}
