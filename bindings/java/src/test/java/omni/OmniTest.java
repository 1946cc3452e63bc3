package omni;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Refusals, hostile calls, verification, JSON, the signer's lifecycle and threads. */
class OmniTest {
  private static final byte[] KEY = "partner-secret-key".getBytes(StandardCharsets.UTF_8);

  private static Request req(String partner, String store, String token, long ts) {
    return new Request("GET", "/api/v1/x", partner, store, token, ts, null);
  }

  private static String status(Executable call) {
    return assertThrows(OmniException.class, call).status();
  }

  /** HMAC-SHA256 of the base string with javax.crypto: an oracle for the large-body path. */
  private static String hmacOf(byte[] key, String base) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(key, "HmacSHA256"));
    return "sha256=" + HexFormat.of().formatHex(mac.doFinal(base.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void version() {
    assertEquals(NativeLibrary.EXPECTED_VERSION, Omni.version());
  }

  @Test
  void createIsTheConstructor() {
    Request r = req("p", "s", "t", 1709024577000L);
    try (Signer made = Signer.create(KEY); Signer built = new Signer(KEY)) {
      assertEquals(built.sign(r), made.sign(r));
      assertEquals(Omni.sign(KEY, r), made.sign(r));
    }
    assertEquals("OMNI_NULL_ARGUMENT", status(() -> Signer.create(null)));
    assertEquals("OMNI_EMPTY_SECRET", status(() -> Signer.create(new byte[0])));
  }

  @Test
  void nullArguments() {
    assertEquals("OMNI_NULL_ARGUMENT", status(() -> Omni.sign(null, req("p", null, null, 1))));
    assertEquals("OMNI_NULL_ARGUMENT", status(() -> Omni.sign(KEY, null)));
    assertEquals("OMNI_NULL_ARGUMENT", status(() -> new Signer(null)));
    assertEquals("OMNI_NULL_ARGUMENT", status(() -> Omni.sign(KEY,
        new Request(null, "/x", "p", null, null, 1, null))));
    assertEquals("OMNI_NULL_ARGUMENT", status(() -> Omni.sign(KEY,
        new Request("GET", null, "p", null, null, 1, null))));
    assertEquals("OMNI_NULL_ARGUMENT", status(() -> Omni.baseString(req(null, null, null, 1))));
    assertEquals("OMNI_NULL_ARGUMENT", status(() -> Omni.jsonStringify(null)));
    assertEquals("OMNI_NULL_ARGUMENT", status(() -> Omni.verify(KEY, "GET", "/x", "p", null,
        null, null, "sha256=00", null, 1, 1, false)));
    try (Signer s = new Signer(KEY)) {
      assertEquals("OMNI_NULL_ARGUMENT", status(() -> s.sign(null)));
      assertEquals("OMNI_NULL_ARGUMENT", status(() -> s.sign(req(null, null, null, 1))));
    }
    // A null body is the empty body.
    assertEquals(Omni.sign(KEY, req("p", null, null, 1)),
        Omni.sign(KEY, new Request("GET", "/api/v1/x", "p", null, null, 1, new byte[0])));
    assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        Omni.bodyHash(null));
  }

  @Test
  void refusals() {
    assertEquals("OMNI_EMPTY_SECRET", status(() -> Omni.sign(new byte[0], req("p", null, null, 1))));
    assertEquals("OMNI_EMPTY_SECRET", status(() -> new Signer(new byte[0])));
    assertEquals("OMNI_STORE_TOKEN_MISSING", status(() -> Omni.sign(KEY, req("p", "s", null, 1))));
    assertEquals("OMNI_STORE_CLIENT_ID_MISSING",
        status(() -> Omni.sign(KEY, req("p", null, "t", 1))));
    assertEquals("OMNI_INVALID_HEADER_VALUE",
        status(() -> Omni.sign(KEY, req("p\nx-timestamp:1", null, null, 1))));
    assertEquals("OMNI_INVALID_METHOD", status(() -> Omni.sign(KEY,
        new Request("get", "/x", "p", null, null, 1, null))));
    assertEquals("OMNI_INVALID_URL", status(() -> Omni.sign(KEY,
        new Request("GET", "no-path", "p", null, null, 1, null))));
    assertEquals("OMNI_INVALID_TIMESTAMP",
        status(() -> Omni.sign(KEY, req("p", null, null, -1))));
    // The message says what was wrong and never echoes the value.
    OmniException e = assertThrows(OmniException.class,
        () -> Omni.sign(KEY, req("p", "s", "stkn_secret\n", 1)));
    assertEquals("OMNI_INVALID_HEADER_VALUE", e.status());
    assertTrue(!e.getMessage().contains("stkn_secret"), e.getMessage());
    // The store pair is absent when each is null or "" (libomni's rule); otherwise "" is an
    // empty value.
    assertEquals(Omni.sign(KEY, req("p", null, null, 1)), Omni.sign(KEY, req("p", "", "", 1)));
    assertEquals(Omni.sign(KEY, req("p", null, null, 1)), Omni.sign(KEY, req("p", "", null, 1)));
    assertEquals("OMNI_INVALID_HEADER_VALUE", status(() -> Omni.sign(KEY, req("p", "s", "", 1))));
    assertEquals("OMNI_INVALID_HEADER_VALUE", status(() -> Omni.sign(KEY, req("p", "", "t", 1))));
  }

  @Test
  void nulCrossesIntactAndIsRefusedByTheRules() {
    assertEquals("OMNI_INVALID_HEADER_VALUE",
        status(() -> Omni.sign(KEY, req("p\0", null, null, 1))));
    assertEquals("OMNI_INVALID_HEADER_VALUE",
        status(() -> Omni.sign(KEY, req("p", "s", "t\0x", 1))));
    assertEquals("OMNI_INVALID_URL", status(() -> Omni.sign(KEY,
        new Request("GET", "/api/v1/x\0/y", "p", null, null, 1, null))));
    assertEquals("OMNI_INVALID_METHOD", status(() -> Omni.sign(KEY,
        new Request("GET\0", "/x", "p", null, null, 1, null))));
    assertEquals("OMNI_INVALID_HEADER_VALUE",
        status(() -> Omni.baseString(req("\0", null, null, 1))));
    // A NUL in a body is just a byte.
    assertDoesNotThrow(() -> Omni.sign(KEY,
        new Request("POST", "/x", "p", null, null, 1, new byte[] {0, 0})));
    // In JSON text it is the parser's to refuse.
    assertEquals("OMNI_INVALID_JSON", status(() -> Omni.jsonStringify("\"a\0\"")));
  }

  @Test
  void loneSurrogatesAreInvalidUtf8NeverReplaced() {
    String lone = "p\uD800";
    assertEquals("OMNI_INVALID_UTF8", status(() -> Omni.sign(KEY, req(lone, null, null, 1))));
    assertEquals("OMNI_INVALID_UTF8", status(() -> Omni.sign(KEY, req("p", "s", "\uDC00t", 1))));
    assertEquals("OMNI_INVALID_UTF8", status(() -> Omni.sign(KEY,
        new Request("GET", "/api/v1/\uDBFF", "p", null, null, 1, null))));
    assertEquals("OMNI_INVALID_UTF8", status(() -> Omni.jsonStringify("\"\uD800\"")));
    assertEquals("OMNI_INVALID_UTF8", status(() -> Omni.jsonStringify("\"\uDC00\uD800\"")));
    try (Signer s = new Signer(KEY)) {
      assertEquals("OMNI_INVALID_UTF8", status(() -> s.sign(req(lone, null, null, 1))));
    }
    // A proper pair outside the BMP crosses intact (JNI's modified UTF-8 would not).
    assertEquals("{\"a\":\"\uD83D\uDE00 \u00e9\"}",
        Omni.jsonStringify("{ \"a\" : \"\uD83D\uDE00 \u00e9\" }"));
    // ... and is refused by the header rules, not by the text conversion.
    assertEquals("OMNI_INVALID_HEADER_VALUE",
        status(() -> Omni.sign(KEY, req("p\uD83D\uDE00", null, null, 1))));
  }

  @Test
  void largeBodies() throws Exception {
    for (int size : new int[] {4095, 4096, 4097, 65_536, 65_537, 3_000_001}) {
      byte[] body = new byte[size];
      for (int i = 0; i < size; i++) {
        body[i] = (byte) (i * 31 + 7);
      }
      Request r = new Request("POST", "https://h/api/v1/partner/x", "p", "s", "t", 42, body);
      String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
      assertEquals(hash, Omni.bodyHash(body), "body hash " + size);
      String base = Omni.baseString(r);
      assertTrue(base.endsWith("\n" + hash), "base string " + size);
      String sig = Omni.sign(KEY, r);
      assertEquals(hmacOf(KEY, base), sig, "signature " + size);
      try (Signer s = new Signer(KEY)) {
        assertEquals(sig, s.sign(r), "signer " + size);
      }
      Omni.verify(KEY, "POST", r.url(), "p", "s", "t", "42", sig, body, 42, 0, true);
    }
    // A long URL and header values go through the heap buffers.
    String longPath = "/api/v1/" + "a".repeat(5000);
    Request r = new Request("GET", longPath, "p".repeat(600), null, null, 7, null);
    assertEquals(hmacOf(KEY, Omni.baseString(r)), Omni.sign(KEY, r));
    assertTrue(Omni.baseString(r).startsWith("GET\n/" + "a".repeat(5000) + "\n"));
  }

  @Test
  void verify() {
    String sig = Omni.sign(KEY, req("p", null, null, 1_000_000));
    assertDoesNotThrow(() -> Omni.verify(KEY, "GET", "/api/v1/x?q=1", "p", null, null,
        "1000000", sig, null, 1_300_000, Omni.DEFAULT_TOLERANCE_MS, false));
    assertEquals("OMNI_TIMESTAMP_OUTSIDE_WINDOW", status(() -> Omni.verify(KEY, "GET",
        "/api/v1/x", "p", null, null, "1000000", sig, null, 1_300_001,
        Omni.DEFAULT_TOLERANCE_MS, false)));
    assertEquals("OMNI_MALFORMED_SIGNATURE", status(() -> Omni.verify(KEY, "GET", "/api/v1/x",
        "p", null, null, "1000000", sig.substring(7), null, 1_000_000,
        Omni.DEFAULT_TOLERANCE_MS, true)));
    assertDoesNotThrow(() -> Omni.verify(KEY, "GET", "/api/v1/x", "p", "", "", "1000000",
        sig.substring(7), null, 1_000_000, Omni.DEFAULT_TOLERANCE_MS, false));
    assertEquals("OMNI_SIGNATURE_MISMATCH", status(() -> Omni.verify(KEY, "GET", "/api/v1/x",
        "p", null, null, "1000000", sig, new byte[] {1}, 1_000_000,
        Omni.DEFAULT_TOLERANCE_MS, false)));
    assertEquals("OMNI_SIGNATURE_MISMATCH", status(() -> Omni.verify(
        "other".getBytes(StandardCharsets.UTF_8), "GET", "/api/v1/x", "p", null, null,
        "1000000", sig, null, 1_000_000, Omni.DEFAULT_TOLERANCE_MS, false)));
    assertEquals("OMNI_MALFORMED_TIMESTAMP", status(() -> Omni.verify(KEY, "GET", "/api/v1/x",
        "p", null, null, "1e6", sig, null, 1_000_000, Omni.DEFAULT_TOLERANCE_MS, false)));
    assertEquals("OMNI_INVALID_INPUT", status(() -> Omni.verify(KEY, "GET", "/api/v1/x", "p",
        null, null, "1000000", sig, null, 1_000_000, -1, false)));
  }

  @Test
  void jsonStringify() {
    assertEquals("{\"b\":1,\"a\":[1e+21,0,\"\u00e9\"]}",
        Omni.jsonStringify("{ \"b\": 1.0, \"a\": [1e21, -0, \"\\u00e9\"] }"));
    assertEquals("OMNI_INVALID_JSON", status(() -> Omni.jsonStringify("{")));
    assertEquals("OMNI_INVALID_JSON", status(() -> Omni.jsonStringify("")));
    assertEquals("OMNI_INVALID_JSON", status(() -> Omni.jsonStringify("9007199254740993")));
    String big = "[" + "1,".repeat(200_000) + "1]";
    assertEquals(big, Omni.jsonStringify(big));
  }

  @Test
  void closedSignerThrowsNeverCrashes() {
    Signer s = new Signer(KEY);
    String sig = s.sign(req("p", null, null, 1));
    assertEquals(Omni.sign(KEY, req("p", null, null, 1)), sig);
    s.close();
    s.close();
    assertThrows(IllegalStateException.class, () -> s.sign(req("p", null, null, 1)));
    assertThrows(IllegalStateException.class, () -> s.sign(req("p", null, null, 1), true));
  }

  @Test
  void unclosedSignersAreReleasedByTheCleaner() throws Exception {
    for (int i = 0; i < 20_000; i++) {
      new Signer(KEY).sign(req("p", null, null, i));
    }
    System.gc();
    Thread.sleep(100);
    try (Signer s = new Signer(KEY)) {
      assertEquals(Omni.sign(KEY, req("p", null, null, 1)), s.sign(req("p", null, null, 1)));
    }
  }

  @Test
  void oneSignerManyThreadsGivesIdenticalResults() throws Exception {
    List<Request> requests = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      byte[] body = ("{\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8);
      requests.add(new Request("POST", "https://h/api/v1/partner/x/" + i, "p", "s", "t",
          1000 + i, body));
    }
    signsAsOmniSignFromThreads(requests, 16, 17);
  }

  /**
   * One Signer used from {@code threads} threads, each signing every request (starting
   * {@code stride} requests further than the previous thread), gives what Omni.sign gives.
   */
  static void signsAsOmniSignFromThreads(List<Request> requests, int threads, int stride)
      throws Exception {
    int perThread = requests.size();
    List<String> want = new ArrayList<>();
    for (Request r : requests) {
      want.add(Omni.sign(KEY, r));
    }
    AtomicInteger wrong = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try (Signer s = new Signer(KEY)) {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int offset = t;
        done.add(pool.submit(() -> {
          for (int i = 0; i < perThread; i++) {
            int k = (i + offset * stride) % perThread;
            if (!s.sign(requests.get(k)).equals(want.get(k))) {
              wrong.incrementAndGet();
            }
          }
        }));
      }
      for (Future<?> f : done) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdown();
    }
    assertEquals(0, wrong.get(), "wrong signatures from threads");
  }

  @Test
  void closeWhileOtherThreadsSign() throws Exception {
    Request r = req("p", null, null, 5);
    String want = Omni.sign(KEY, r);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      for (int round = 0; round < 20; round++) {
        Signer s = new Signer(KEY);
        AtomicInteger wrong = new AtomicInteger();
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
          done.add(pool.submit(() -> {
            for (int i = 0; i < 200; i++) {
              try {
                if (!s.sign(r).equals(want)) {
                  wrong.incrementAndGet();
                }
              } catch (IllegalStateException closed) {
                return;
              }
            }
          }));
        }
        s.close();
        for (Future<?> f : done) {
          f.get(60, TimeUnit.SECONDS);
        }
        assertEquals(0, wrong.get());
      }
    } finally {
      pool.shutdown();
    }
  }

  @Test
  void hostileArgumentsDoNotCrash() {
    String[] strings = {null, "", "\0", "\uD800", "\uDFFF\uD800", "GET", "/x", "a".repeat(70_000),
        "\uD83D\uDE00", "\u00ff", "\n", " p "};
    byte[][] bodies = {null, new byte[0], new byte[] {-1, 0, 1}};
    int refused = 0;
    int signed = 0;
    for (String a : strings) {
      for (String b : strings) {
        for (byte[] body : bodies) {
          Request r = new Request(a, b, a, b, a, 1, body);
          try {
            assertNotEquals(null, Omni.sign(KEY, r));
            signed++;
          } catch (OmniException e) {
            assertTrue(e.status().startsWith("OMNI_"), e.status());
            refused++;
          }
        }
      }
    }
    assertTrue(refused > 0);
    assertEquals(strings.length * strings.length * bodies.length, refused + signed);
    byte[] longKey = new byte[1 << 20];
    Arrays.fill(longKey, (byte) 7);
    assertDoesNotThrow(() -> new Signer(longKey).close());
  }
}
