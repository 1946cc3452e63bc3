package omni;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * libomni from Java through JNA (direct mapping): Omni Partner API request signing by the same
 * code as the Rust crates.
 *
 * <pre>{@code
 * try (Omni.Signer signer = new Omni.Signer("partner-secret".getBytes(UTF_8))) {
 *   String sig = signer.sign(new Omni.Request("POST", "https://h/api/v1/partner/x", "ptnr_1",
 *       null, null, 1709024577000L, "{}".getBytes(UTF_8)));
 * }
 * }</pre>
 *
 * The library is loaded by JNA under the name given by the system property {@code
 * omni.library} (default {@code omni}, i.e. libomni.so on {@code jna.library.path}); its
 * version is checked on load. Every method is thread-safe and a Signer may be shared by threads
 * (virtual ones too: libomni keeps no per-thread error state). size_t is passed as a Java long
 * (64-bit platforms only).
 */
public final class Omni {
  /** The version of include/omni.h this wrapper is written for: it accepts the same major and
   * at least this minor (a minor release only adds symbols and statuses). */
  public static final int HEADER_VERSION_MAJOR = 0;
  /** See {@link #HEADER_VERSION_MAJOR}. */
  public static final int HEADER_VERSION_MINOR = 1;
  /** The server's default window around its clock: +-300 s. */
  public static final long DEFAULT_TOLERANCE_MS = 300_000L;

  // omni_status values (include/omni.h): appended, never renumbered.
  public static final int OK = 0;
  public static final int NULL_ARGUMENT = 1;
  public static final int INVALID_UTF8 = 2;
  public static final int BUFFER_TOO_SMALL = 3;
  public static final int INVALID_INPUT = 4;
  public static final int TIMESTAMP_OUTSIDE_WINDOW = 5;
  public static final int MALFORMED_SIGNATURE = 6;
  public static final int SIGNATURE_MISMATCH = 7;
  public static final int PANIC = 8;
  public static final int INVALID_JSON = 9;

  static final int SIGNATURE_BUFFER_SIZE = 72;
  static final int SIGN_BARE_HEX = 1;
  static final int VERIFY_STRICT = 1;
  private static final int REQUEST_SIZE = 64; // sizeof(omni_request) on 64-bit

  static {
    Native.register(Omni.class, NativeLibrary.getInstance(System.getProperty("omni.library", "omni")));
    String found = omni_version();
    if (!versionAccepted(found, HEADER_VERSION_MAJOR, HEADER_VERSION_MINOR)) {
      throw new UnsatisfiedLinkError("libomni " + found + " loaded, this wrapper needs "
          + HEADER_VERSION_MAJOR + "." + HEADER_VERSION_MINOR + " or a later "
          + HEADER_VERSION_MAJOR + ".x");
    }
  }

  /** Whether a libomni of version {@code found} serves a header of version major.minor: the
   * same major and at least the header's minor (0.y accepts 0.y' for y' >= y, never 1.x). */
  static boolean versionAccepted(String found, int major, int minor) {
    String[] parts = found.split("\\.", 3);
    try {
      return parts.length >= 2 && Integer.parseInt(parts[0]) == major
          && Integer.parseInt(parts[1]) >= minor;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private Omni() {}

  // The C functions, direct-mapped. Strings go as NUL-terminated UTF-8 byte arrays.
  static native String omni_status_str(int status);

  static native String omni_status_name(int status);

  static native String omni_version();

  static native int omni_sign(byte[] secret, long secretLen, byte[] method, byte[] url,
      byte[] partner, byte[] storeId, byte[] storeToken, long ts, byte[] body, long bodyLen,
      byte[] out, long outCap, long[] outLen);

  static native int omni_base_string(byte[] method, byte[] url, byte[] partner, byte[] storeId,
      byte[] storeToken, long ts, byte[] body, long bodyLen, byte[] out, long outCap,
      long[] outLen);

  static native int omni_body_hash(byte[] body, long bodyLen, byte[] out, long outCap,
      long[] outLen);

  static native int omni_signer_new(byte[] secret, long secretLen, long[] out); // omni_signer **, 64-bit

  static native void omni_signer_free(Pointer signer);

  static native int omni_signer_sign(Pointer signer, byte[] method, byte[] url, byte[] partner,
      byte[] storeId, byte[] storeToken, long ts, byte[] body, long bodyLen, int flags,
      byte[] out, long outCap, long[] outLen);

  static native int omni_signer_sign_many(Pointer signer, Pointer requests, long count,
      int flags, Pointer out, long outCap, int[] statuses);

  static native int omni_json_stringify(byte[] json, long jsonLen, byte[] out, long outCap,
      long[] outLen);

  static native int omni_verify(byte[] secret, long secretLen, byte[] method, byte[] url,
      byte[] partner, byte[] storeId, byte[] storeToken, byte[] timestamp, byte[] signature,
      byte[] body, long bodyLen, long nowMs, long toleranceMs, int flags);

  /** The loaded library's version. */
  public static String version() {
    return omni_version();
  }

  /** A failed libomni call; {@link #status()} is the omni_status code. */
  public static final class OmniException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int status;

    OmniException(int status) {
      super("omni_status " + status + ": " + omni_status_str(status));
      this.status = status;
    }

    public int status() {
      return status;
    }
  }

  /** One request to sign; storeClientId and storeToken are null (or "") when not store-scoped. */
  public record Request(String method, String url, String partnerClientId, String storeClientId,
      String storeToken, long timestampMs, byte[] body) {}

  static void check(int status) {
    if (status != OK) {
      throw new OmniException(status);
    }
  }

  /** NUL-terminated UTF-8; a NUL inside cannot cross the C ABI intact, so it is refused. */
  static byte[] cstr(String s) {
    if (s == null) {
      return null;
    }
    if (s.indexOf('\0') >= 0) {
      throw new OmniException(INVALID_INPUT);
    }
    byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
    byte[] out = new byte[utf8.length + 1];
    System.arraycopy(utf8, 0, out, 0, utf8.length);
    return out;
  }

  /**
   * A secret as a non-NULL pointer even when empty: JNA may pass an empty array as NULL, and
   * libomni answers NULL with NULL_ARGUMENT but an empty key with INVALID_INPUT.
   */
  static byte[] key(byte[] secret) {
    return secret != null && secret.length == 0 ? new byte[1] : secret;
  }

  static byte[] body(byte[] body) {
    return body == null ? new byte[0] : body;
  }

  private interface BufferCall {
    int call(byte[] out, long cap, long[] len);
  }

  private static String withBuffer(int initial, BufferCall call) {
    long[] len = new long[1];
    byte[] out = new byte[initial];
    int st = call.call(out, out.length, len);
    if (st == BUFFER_TOO_SMALL) {
      out = new byte[Math.toIntExact(len[0] + 1)];
      st = call.call(out, out.length, len);
    }
    check(st);
    return new String(out, 0, (int) len[0], StandardCharsets.UTF_8);
  }

  /** x-signature ({@code sha256=<hex>}) of one request with a one-off key. */
  public static String sign(byte[] secret, Request r) {
    byte[] b = body(r.body());
    byte[] m = cstr(r.method()), u = cstr(r.url()), p = cstr(r.partnerClientId());
    byte[] s = cstr(r.storeClientId()), t = cstr(r.storeToken());
    return withBuffer(SIGNATURE_BUFFER_SIZE, (out, cap, len) -> omni_sign(key(secret),
        secret == null ? 0 : secret.length, m, u, p, s, t, r.timestampMs(), b, b.length, out,
        cap, len));
  }

  /** The exact base string signed for r; it holds the store token. */
  public static String baseString(Request r) {
    byte[] b = body(r.body());
    byte[] m = cstr(r.method()), u = cstr(r.url()), p = cstr(r.partnerClientId());
    byte[] s = cstr(r.storeClientId()), t = cstr(r.storeToken());
    return withBuffer(256, (out, cap, len) -> omni_base_string(m, u, p, s, t, r.timestampMs(),
        b, b.length, out, cap, len));
  }

  /** Lowercase hex SHA-256 of the body. */
  public static String bodyHash(byte[] body) {
    byte[] b = body(body);
    return withBuffer(65, (out, cap, len) -> omni_body_hash(b, b.length, out, cap, len));
  }

  /**
   * Verifies a received request as a server does: header values as received, the x-timestamp
   * and x-signature text. Returns normally when accepted; throws OmniException whose status says
   * which check failed.
   */
  public static void verify(byte[] secret, String method, String url, String partnerClientId,
      String storeClientId, String storeToken, String timestamp, String signature, byte[] body,
      long nowMs, long toleranceMs, boolean strict) {
    byte[] b = body(body);
    check(omni_verify(key(secret), secret == null ? 0 : secret.length, cstr(method), cstr(url),
        cstr(partnerClientId), cstr(storeClientId), cstr(storeToken), cstr(timestamp),
        cstr(signature), b, b.length, nowMs, toleranceMs, strict ? VERIFY_STRICT : 0));
  }

  /**
   * Re-writes a JSON text exactly as JavaScript's JSON.stringify(JSON.parse(text)) does
   * (`json-stringify-form`, strict), e.g. Jackson output, so it is sent and signed as a
   * JavaScript server sees it. INVALID_JSON for text that is not JSON or that JavaScript would
   * change (an integer beyond 2^53).
   */
  public static String jsonStringify(String json) {
    byte[] in = json.getBytes(StandardCharsets.UTF_8);
    byte[] arg = in.length == 0 ? new byte[1] : in; // never NULL: "" is invalid JSON, not NULL
    return withBuffer(in.length + 1, (out, cap, len) -> omni_json_stringify(arg, in.length, out,
        cap, len));
  }

  /**
   * One partner secret key, hashed once; thread-safe. close() wipes the key state: call it once
   * every thread is done signing with it.
   */
  public static final class Signer implements AutoCloseable {
    // Signing holds the read lock for the native call, close() the write lock: closing while
    // other threads sign waits for them instead of freeing the key state under them.
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private Pointer handle;

    public Signer(byte[] secret) {
      long[] out = new long[1];
      check(omni_signer_new(key(secret), secret == null ? 0 : secret.length, out));
      handle = new Pointer(out[0]);
    }

    /** The handle, with the read lock held; the caller unlocks. */
    private Pointer acquire() {
      lock.readLock().lock();
      Pointer h = handle;
      if (h == null) {
        lock.readLock().unlock();
        throw new OmniException(NULL_ARGUMENT);
      }
      return h;
    }

    /** x-signature of r: {@code sha256=<hex>}. */
    public String sign(Request r) {
      return sign(r, false);
    }

    /** x-signature of r, as bare hex when asked (`signature-format`). */
    public String sign(Request r, boolean bareHex) {
      byte[] b = body(r.body());
      byte[] out = new byte[SIGNATURE_BUFFER_SIZE];
      long[] len = new long[1];
      byte[] m = cstr(r.method()), u = cstr(r.url()), p = cstr(r.partnerClientId());
      byte[] s = cstr(r.storeClientId()), t = cstr(r.storeToken());
      Pointer h = acquire();
      int st;
      try {
        st = omni_signer_sign(h, m, u, p, s, t, r.timestampMs(), b, b.length,
            bareHex ? SIGN_BARE_HEX : 0, out, out.length, len);
      } finally {
        lock.readLock().unlock();
      }
      check(st);
      return new String(out, 0, (int) len[0], StandardCharsets.US_ASCII);
    }

    /**
     * Signs many requests in one native call (JNA's per-call cost is paid once); the
     * signatures in order. Throws on the first failure.
     */
    public List<String> signMany(List<Request> requests) {
      int n = requests.size();
      if (n == 0) {
        return List.of();
      }
      // One native block: the omni_request array, then every string and body it points to.
      // It is laid out in a Java array and copied in one JNA call (a JNA call per field would
      // cost more than the signing); a string or body shared by several requests (the same
      // object, typically the partner id, store pair and method) is copied once.
      ByteArrayOutputStream data = new ByteArrayOutputStream(n * 128);
      IdentityHashMap<Object, Integer> placed = new IdentityHashMap<>();
      int[] offsets = new int[n * 6];
      int[] bodyLens = new int[n];
      for (int i = 0; i < n; i++) {
        Request r = requests.get(i);
        Object[] fields = {r.method(), r.url(), r.partnerClientId(), r.storeClientId(),
            r.storeToken(), body(r.body())};
        bodyLens[i] = ((byte[]) fields[5]).length;
        for (int f = 0; f < 6; f++) {
          Object field = fields[f];
          if (field == null || (f == 5 && bodyLens[i] == 0)) {
            offsets[i * 6 + f] = -1; // NULL: an absent store pair, an empty body
            continue;
          }
          Integer at = placed.get(field);
          if (at == null) {
            at = data.size();
            byte[] bytes = f == 5 ? (byte[]) field : cstr((String) field);
            data.write(bytes, 0, bytes.length);
            placed.put(field, at);
          }
          offsets[i * 6 + f] = at;
        }
      }
      int head = Math.multiplyExact(n, REQUEST_SIZE);
      int size = Math.addExact(head, data.size());
      byte[] text;
      // Freed at once rather than by JNA's cleaner after a GC: native blocks left to the
      // collector made run times of a signing loop vary by 2x.
      try (Memory mem = new Memory(size);
          Memory out = new Memory((long) n * SIGNATURE_BUFFER_SIZE)) {
        long address = Pointer.nativeValue(mem) + head;
        ByteBuffer block = ByteBuffer.allocate(size).order(ByteOrder.nativeOrder());
        for (int i = 0; i < n; i++) {
          int at = i * REQUEST_SIZE;
          for (int f = 0; f < 6; f++) {
            int offset = offsets[i * 6 + f];
            block.putLong(f < 5 ? at + 8 * f : at + 48, offset < 0 ? 0 : address + offset);
          }
          block.putLong(at + 40, requests.get(i).timestampMs());
          block.putLong(at + 56, bodyLens[i]);
        }
        block.put(head, data.toByteArray());
        mem.write(0, block.array(), 0, size);
        int[] statuses = new int[n];
        int st;
        try {
          Pointer h = acquire();
          try {
            st = omni_signer_sign_many(h, mem, n, 0, out, out.size(), statuses);
          } finally {
            lock.readLock().unlock();
          }
        } finally {
          mem.clear(); // it holds the store tokens
          Arrays.fill(block.array(), (byte) 0);
        }
        check(st);
        text = out.getByteArray(0, n * SIGNATURE_BUFFER_SIZE);
      }
      List<String> sigs = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        sigs.add(new String(text, i * SIGNATURE_BUFFER_SIZE, 71, StandardCharsets.US_ASCII));
      }
      return sigs;
    }

    /** Wipes and releases the key state, after any signing in flight; later calls throw. */
    @Override
    public void close() {
      lock.writeLock().lock();
      try {
        if (handle != null) {
          omni_signer_free(handle);
          handle = null;
        }
      } finally {
        lock.writeLock().unlock();
      }
    }
  }
}
