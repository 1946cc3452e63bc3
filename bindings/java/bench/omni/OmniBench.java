package omni;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Times signing one 200 B-body request through omni-sign over JNI (a reusable Signer, one call
 * per signature) and through javax.crypto.Mac building the same base string, in alternating
 * rounds of N/10 signatures per way. Run by bindings/bench.sh; prints "java<TAB>way<TAB>ns per signature"
 * lines (the median of the measured rounds) and, on stderr, the spread of the per-round ratio.
 */
public final class OmniBench {
  static final String SECRET = "partner-secret-key";
  static final String URL = "https://partners-api.tocobagus.net/api/v1/partner/stores/catalog/sync";
  static final String PARTNER = "ptnr_1s4UqMnO64";
  static final String STORE = "str_TGIxyboe7-Rz";
  static final String TOKEN = "stkn_1G_R3r_5QTvwr_0O";
  static final long TS = 1709024577000L;
  static final int ROUNDS = 45;
  static final int WARMUP = 5; // rounds that warm up the JIT, not counted
  /**
   * Times are this thread's CPU time, not wall time: on a shared machine the thread is
   * descheduled at random, which wall time would count. (Collections run on GC threads and are
   * left out for both ways; javax.crypto allocates more, so this favours it.)
   */
  static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

  static byte[] body() {
    String prefix = "{\"storeId\":\"str_TGIxyboe7-Rz\",\"note\":\"";
    return (prefix + "a".repeat(200 - prefix.length() - 2) + "\"}")
        .getBytes(StandardCharsets.UTF_8);
  }

  /** `path-rules` for the URLs this benchmark sends. */
  static String signedPath(String url) {
    int i = url.indexOf("://");
    if (i >= 0) {
      int j = url.indexOf('/', i + 3);
      url = j >= 0 ? url.substring(j) : "/";
    }
    for (char sep : new char[] {'?', '#'}) {
      int k = url.indexOf(sep);
      if (k >= 0) {
        url = url.substring(0, k);
      }
    }
    if (url.equals("/api/v1")) {
      return "/";
    }
    return url.startsWith("/api/v1/") ? url.substring(7) : url;
  }

  static final class Native {
    private final Mac mac;
    private final MessageDigest sha;
    private final HexFormat hex = HexFormat.of();

    Native(byte[] secret) throws Exception {
      mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256")); // key hashed once
      sha = MessageDigest.getInstance("SHA-256");
    }

    String sign(String method, String url, long ts, byte[] body) {
      String base = method + "\n" + signedPath(url) + "\nx-partner-client-id:" + PARTNER
          + "\nx-store-client-id:" + STORE + "\nx-store-token:" + TOKEN + "\nx-timestamp:" + ts
          + "\n" + hex.formatHex(sha.digest(body));
      return "sha256=" + hex.formatHex(mac.doFinal(base.getBytes(StandardCharsets.UTF_8)));
    }
  }

  public static void main(String[] args) throws Exception {
    // n signatures per way in all, spread over the measured rounds.
    int n = Math.max(1000, (args.length > 0 ? Integer.parseInt(args[0]) : 200_000) / 10);
    byte[] body = body();
    byte[] key = SECRET.getBytes(StandardCharsets.UTF_8);
    Native nat = new Native(key);
    try (Signer signer = new Signer(key)) {
      String want = signer.sign(new Request("POST", URL, PARTNER, STORE, TOKEN, TS, body));
      if (!nat.sign("POST", URL, TS, body).equals(want)) {
        throw new AssertionError("javax.crypto signs differently from omni-sign");
      }
      double[] jni = new double[ROUNDS - WARMUP];
      double[] jdk = new double[ROUNDS - WARMUP];
      double[] ratio = new double[ROUNDS - WARMUP];
      long sink = 0;
      for (int round = 0; round < ROUNDS; round++) {
        double a = 0;
        double b = 0;
        // The two ways alternate which runs first, so neither always gets the warmer caches.
        for (int way = 0; way < 2; way++) {
          long start = CPU.getCurrentThreadCpuTime();
          if ((way + round) % 2 == 0) {
            for (int i = 0; i < n; i++) {
              sink += signer.sign(new Request("POST", URL, PARTNER, STORE, TOKEN, TS + i, body))
                  .length();
            }
            a = (CPU.getCurrentThreadCpuTime() - start) / (double) n;
          } else {
            for (int i = 0; i < n; i++) {
              sink += nat.sign("POST", URL, TS + i, body).length();
            }
            b = (CPU.getCurrentThreadCpuTime() - start) / (double) n;
          }
        }
        if (round >= WARMUP) {
          jni[round - WARMUP] = a;
          jdk[round - WARMUP] = b;
          ratio[round - WARMUP] = a / b;
        }
      }
      System.out.printf("java\tjni\t%.0f%n", median(jni));
      System.out.printf("java\tnative\t%.0f%n", median(jdk));
      System.err.printf("java: jni / native per round: median %.2f, min %.2f, max %.2f%n",
          median(ratio), min(ratio), max(ratio));
      if (sink == 42) {
        System.out.println();
      }
    }
  }

  static double min(double[] xs) {
    return java.util.Arrays.stream(xs).min().orElse(0);
  }

  static double max(double[] xs) {
    return java.util.Arrays.stream(xs).max().orElse(0);
  }

  static double median(double[] xs) {
    double[] s = xs.clone();
    java.util.Arrays.sort(s);
    return s[s.length / 2];
  }
}
