package omni;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Tests of the JNA wrapper against every case of tests/vectors/signing.json (converted by
 * bindings/vectors_to_tsv.py; path in -Domni.vectors=...) and bad inputs. Prints
 * "N passed, M failed" and exits 1 when anything failed.
 */
public final class OmniTest {
  private static int passed;
  private static int failed;

  private static void check(boolean ok, String what) {
    if (ok) {
      passed++;
    } else {
      failed++;
      System.err.println("FAIL " + what);
    }
  }

  private static int statusOf(Runnable r) {
    try {
      r.run();
      return Omni.OK;
    } catch (Omni.OmniException e) {
      return e.status();
    }
  }

  private static String text(String hex) {
    return hex.equals("-") ? null : new String(bytes(hex), StandardCharsets.UTF_8);
  }

  private static byte[] bytes(String hex) {
    return hex.equals("-") ? new byte[0] : HexFormat.of().parseHex(hex);
  }

  /** The name of the status libomni answers for an omni_sign::Error::kind(). */
  private static String kindStatusName(String kind) {
    return "OMNI_" + kind.toUpperCase(java.util.Locale.ROOT);
  }

  private static boolean holdsNul(Omni.Request r) {
    for (String s : new String[] {r.method(), r.url(), r.partnerClientId(), r.storeClientId(),
        r.storeToken()}) {
      if (s != null && s.indexOf('\0') >= 0) {
        return true;
      }
    }
    return false;
  }

  public static void main(String[] args) throws Exception {
    check(Omni.versionAccepted(Omni.version(), Omni.HEADER_VERSION_MAJOR,
        Omni.HEADER_VERSION_MINOR), "version " + Omni.version());
    check(Omni.versionAccepted("0.1.5", 0, 1) && Omni.versionAccepted("0.2.0", 0, 1)
        && !Omni.versionAccepted("1.0.0", 0, 1) && !Omni.versionAccepted("0.0.9", 0, 1)
        && !Omni.versionAccepted("x", 0, 1), "version rule");
    List<String> lines = Files.readAllLines(Path.of(System.getProperty("omni.vectors")));
    int cases = 0;
    int errorCases = 0;
    for (String line : lines) {
      String[] c = line.split("\t", -1);
      String name = c[1];
      byte[] secret = text(c[2]).getBytes(StandardCharsets.UTF_8);
      Omni.Request r = new Omni.Request(text(c[3]), text(c[4]), text(c[5]), text(c[6]),
          text(c[7]), Long.parseLong(c[8]), bytes(c[9]));
      if (c[0].equals("ok")) {
        cases++;
        String sig = text(c[13]);
        check(Omni.sign(secret, r).equals(sig), name + ": sign");
        check(Omni.baseString(r).equals(text(c[12])), name + ": base string");
        check(Omni.bodyHash(r.body()).equals(text(c[11])), name + ": body hash");
        try (Omni.Signer s = new Omni.Signer(secret)) {
          check(s.sign(r).equals(sig), name + ": signer");
          check(s.sign(r, true).equals(sig.substring(7)), name + ": bare hex");
          check(s.signMany(List.of(r, r)).equals(List.of(sig, sig)), name + ": signMany");
        }
        check(statusOf(() -> Omni.verify(secret, r.method(), r.url(), r.partnerClientId(),
            r.storeClientId(), r.storeToken(), Long.toString(r.timestampMs()), sig, r.body(),
            r.timestampMs(), Omni.DEFAULT_TOLERANCE_MS, true)) == Omni.OK, name + ": verify");
      } else {
        errorCases++;
        int st = statusOf(() -> Omni.sign(secret, r));
        // This wrapper refuses a string holding a NUL itself, as INVALID_INPUT.
        String want = holdsNul(r) ? "OMNI_INVALID_INPUT" : kindStatusName(c[10]);
        check(st != Omni.OK && Omni.omni_status_name(st).equals(want),
            name + " (" + c[10] + "): status " + st);
      }
    }
    check(cases > 0 && errorCases > 0, "vectors read: " + cases + " / " + errorCases);
    badInputs();
    threads();
    System.out.println("vectors: " + cases + " cases, " + errorCases + " error cases");
    System.out.println(passed + " passed, " + failed + " failed");
    System.exit(failed == 0 ? 0 : 1);
  }

  private static Omni.Request req(String partner, String store, String token, long ts) {
    return new Omni.Request("GET", "/api/v1/x", partner, store, token, ts, null);
  }

  private static void badInputs() {
    byte[] k = "k".getBytes(StandardCharsets.UTF_8);
    check(statusOf(() -> Omni.sign(null, req("p", null, null, 1))) == Omni.NULL_ARGUMENT,
        "null secret");
    check(statusOf(() -> Omni.sign(new byte[0], req("p", null, null, 1))) == 10,
        "empty secret");
    check(statusOf(() -> new Omni.Signer(new byte[0])) == 10, "empty secret signer");
    check(statusOf(() -> Omni.sign(k, req("p", "s", null, 1))) == 15, "store id without token");
    check(statusOf(() -> Omni.sign(k, req("p\nx-timestamp:1", null, null, 1))) == 13,
        "newline in header");
    check(statusOf(() -> Omni.sign(k, req("p\0", null, null, 1))) == Omni.INVALID_INPUT,
        "NUL in header");
    check(statusOf(() -> Omni.sign(k, req("p", null, null, -1))) == 20, "negative timestamp");
    check(Omni.sign(k, req("p", "", "", 1)).equals(Omni.sign(k, req("p", null, null, 1))),
        "empty store pair is absent");
    long[] len = new long[1];
    byte[] small = new byte[71];
    small[0] = 'x';
    int st = Omni.omni_sign(k, 1, Omni.cstr("GET"), Omni.cstr("/"), Omni.cstr("p"), null, null,
        1, null, 0, small, small.length, len);
    check(st == Omni.BUFFER_TOO_SMALL && len[0] == 71 && small[0] == 0, "small buffer " + st);
    st = Omni.omni_sign(k, 1, Omni.cstr("GET"), Omni.cstr("/"), Omni.cstr("p"), null, null, 1,
        null, 0, null, 0, len);
    check(st == Omni.BUFFER_TOO_SMALL && len[0] == 71, "size query " + st);

    String sig = Omni.sign(k, req("p", null, null, 1_000_000));
    check(statusOf(() -> Omni.verify(k, "GET", "/api/v1/x?q", "p", null, null, "1000000", sig,
        null, 1_300_001, Omni.DEFAULT_TOLERANCE_MS, false)) == Omni.TIMESTAMP_OUTSIDE_WINDOW,
        "outside window");
    check(statusOf(() -> Omni.verify(k, "GET", "/api/v1/x", "p", null, null, "1000000",
        sig.substring(7), null, 1_000_000, Omni.DEFAULT_TOLERANCE_MS, true))
        == Omni.MALFORMED_SIGNATURE, "strict bare hex");
    check(statusOf(() -> Omni.verify(k, "GET", "/api/v1/x", "p", null, null, "1000000", sig,
        new byte[] {1}, 1_000_000, Omni.DEFAULT_TOLERANCE_MS, false))
        == Omni.SIGNATURE_MISMATCH, "other body");
    check(Omni.jsonStringify("{ \"b\": 1.0, \"a\": [1e21, -0, \"\\u00e9\"] }")
        .equals("{\"b\":1,\"a\":[1e+21,0,\"\u00e9\"]}"), "jsonStringify");
    check(statusOf(() -> Omni.jsonStringify("{")) == Omni.INVALID_JSON, "jsonStringify bad");
    check(statusOf(() -> Omni.jsonStringify("9007199254740993")) == Omni.INVALID_JSON,
        "jsonStringify inexact integer");
    Omni.Signer s = new Omni.Signer(k);
    s.close();
    s.close();
    check(statusOf(() -> s.sign(req("p", null, null, 1))) == Omni.NULL_ARGUMENT, "closed signer");
  }

  private static void threads() throws Exception {
    byte[] k = "partner-secret-key".getBytes(StandardCharsets.UTF_8);
    Omni.Request r = new Omni.Request("POST", "/api/v1/partner/x", "p", "s", "t", 42,
        "{}".getBytes(StandardCharsets.UTF_8));
    String want = Omni.sign(k, r);
    AtomicInteger bad = new AtomicInteger();
    // Java 17 (Debian's default-jdk) has no virtual threads: 16 platform threads.
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try (Omni.Signer s = new Omni.Signer(k)) {
      List<Future<?>> fs = new ArrayList<>();
      for (int t = 0; t < 64; t++) {
        fs.add(pool.submit(() -> {
          for (int i = 0; i < 50; i++) {
            if (!s.sign(r).equals(want)) {
              bad.incrementAndGet();
            }
          }
        }));
      }
      for (Future<?> f : fs) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    check(bad.get() == 0, bad.get() + " wrong signatures from threads");
  }
}
