package omni;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Native memory through which {@link Signer#sign} passes a request to libomni_jni and reads the
 * signature back, so the native method makes no JNI call back into the JVM (each is a VM
 * transition). A direct buffer of {@link #SIZE} bytes: the signature text at offset 0, the
 * strings as UTF-16 units (native byte order) from {@link #UNITS_AT}, a body of up to {@link
 * #BODY_ROOM} bytes from {@link #BODY_AT} (a larger one is read from its array, in chunks). The
 * strings cross as UTF-16, as the joined string of the other calls does: the native side
 * converts them and refuses a lone surrogate there, so the text rules live in one place.
 *
 * <p>A scratch is used by one thread at a time: {@link #take} hands it out from a small pool and
 * {@link #release} puts it back. A pool, not a ThreadLocal: a virtual thread would get (and keep)
 * a buffer of its own. Strings longer together than {@link #MAX_UNITS} ({@link #load} returns
 * false) cross as a joined string instead.
 */
final class Scratch {
  /** Where the strings' UTF-16 units start; libomni_jni's UNITS_AT is the same. */
  static final int UNITS_AT = 128;

  /**
   * The most units the strings may have together to go through a scratch (libomni_jni converts
   * that many on its stack).
   */
  static final int MAX_UNITS = 512;

  /** Where a body carried in the scratch starts; libomni_jni's BODY_AT is the same. */
  static final int BODY_AT = UNITS_AT + 2 * MAX_UNITS;

  /** The largest body carried in the scratch; libomni_jni's BODY_ROOM is the same. */
  static final int BODY_ROOM = 4096;

  /** The buffer's size; libomni_jni's SCRATCH_SIZE is the same. */
  static final int SIZE = BODY_AT + BODY_ROOM;

  /** Pool slots, a power of two; each slot on a cache line of its own (16 references apart). */
  private static final int SLOTS =
      Integer.highestOneBit(Math.min(64, 2 * Runtime.getRuntime().availableProcessors() + 1));

  private static final int STRIDE = 16;

  private static final AtomicReferenceArray<Scratch> POOL =
      new AtomicReferenceArray<>(SLOTS * STRIDE);

  static {
    NativeLibrary.load();
  }

  private final ByteBuffer bytes =
      ByteBuffer.allocateDirect(SIZE).order(ByteOrder.nativeOrder());
  private final CharBuffer chars = bytes.asCharBuffer();

  /** The buffer's address; valid while this object (which holds the buffer) is reachable. */
  final long address = address(bytes, UNITS_AT, BODY_AT);

  /** Where the strings are gathered before one copy into the buffer. */
  private final char[] units = new char[MAX_UNITS];

  private final byte[] signature = new byte[Omni.SIGNATURE_MAX_LENGTH];

  /** The store token's units in {@link #units}, wiped by {@link #release}. */
  private int tokenFrom;
  private int tokenTo;

  private Scratch() {}

  /** A scratch for this thread's use until {@link #release}. */
  static Scratch take() {
    int home = System.identityHashCode(Thread.currentThread());
    for (int k = 0; k < 2; k++) {
      Scratch s = POOL.getAndSet(slot(home + k), null);
      if (s != null) {
        return s;
      }
    }
    return new Scratch();
  }

  private static int slot(int i) {
    return (i & (SLOTS - 1)) * STRIDE;
  }

  /**
   * Loads a request's strings (method, url, partner id, store id, store token; null or not);
   * false, with nothing loaded, when they do not fit.
   */
  boolean load(String m, String u, String p, String s, String t) {
    long n = (long) units(m) + units(u) + units(p) + units(s) + units(t);
    if (n > MAX_UNITS) {
      return false;
    }
    int at = put(m, 0);
    at = put(u, at);
    at = put(p, at);
    at = put(s, at);
    tokenFrom = at;
    at = put(t, at);
    tokenTo = at;
    chars.put(UNITS_AT / 2, units, 0, at);
    return true;
  }

  /** Copies body into the scratch when it is not empty and fits; whether it did. */
  boolean carry(byte[] body) {
    if (body == null || body.length == 0 || body.length > BODY_ROOM) {
      return false;
    }
    bytes.put(BODY_AT, body, 0, body.length);
    return true;
  }

  private static int units(String s) {
    return s == null ? 0 : s.length();
  }

  private int put(String s, int at) {
    if (s == null) {
      return at;
    }
    int n = s.length();
    s.getChars(0, n, units, at);
    return at + n;
  }

  /** The signature text the native method wrote, {@code length} bytes. */
  String signature(int length) {
    bytes.get(0, signature, 0, length);
    return new String(signature, 0, length, StandardCharsets.ISO_8859_1);
  }

  /** Wipes the store token's units gathered here and puts the scratch back in the pool. */
  void release() {
    Arrays.fill(units, tokenFrom, tokenTo, '\0');
    tokenFrom = tokenTo = 0;
    int home = System.identityHashCode(Thread.currentThread());
    for (int k = 0; k < 2; k++) {
      int i = slot(home + k);
      // A race here at worst drops a scratch (the garbage collector frees it): no lock needed.
      if (POOL.getPlain(i) == null) {
        POOL.setRelease(i, this);
        return;
      }
    }
  }

  /** Whether text's UTF-16 units are anywhere in this scratch (for the tests of the wiping). */
  boolean holds(String text) {
    char[] in = new char[SIZE / 2];
    chars.get(0, in);
    return new String(in).contains(text) || new String(units).contains(text);
  }

  // libomni_jni's entry point (bindings/java/native/src/lib.rs).

  // The buffer's address, once it is checked to be laid out as libomni_jni reads it.
  private static native long address(ByteBuffer buffer, int unitsAt, int bodyAt);
}
