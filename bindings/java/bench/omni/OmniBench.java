package omni;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Times signing one 200 B-body request N times through libomni (a reusable Signer, one call per
 * signature, and signMany batches) and through javax.crypto.Mac building the same base string.
 * Run by bindings/bench.sh; prints "java<TAB>way<TAB>ns per signature" lines.
 */
public final class OmniBench {
  static final String SECRET = "partner-secret-key";
  static final String URL = "https://partners-api.tocobagus.net/api/v1/partner/stores/catalog/sync";
  static final String PARTNER = "ptnr_1s4UqMnO64";
  static final String STORE = "str_TGIxyboe7-Rz";
  static final String TOKEN = "stkn_1G_R3r_5QTvwr_0O";
  static final long TS = 1709024577000L;
  static final int BATCH = 100;

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
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
    byte[] body = body();
    byte[] key = SECRET.getBytes(StandardCharsets.UTF_8);
    Native nat = new Native(key);
    try (Omni.Signer signer = new Omni.Signer(key)) {
      String want = signer.sign(new Omni.Request("POST", URL, PARTNER, STORE, TOKEN, TS, body));
      if (!nat.sign("POST", URL, TS, body).equals(want)) {
        throw new AssertionError("javax.crypto signs differently from libomni");
      }
      List<Omni.Request> batch = new ArrayList<>();
      for (int i = 0; i < BATCH; i++) {
        batch.add(new Omni.Request("POST", URL, PARTNER, STORE, TOKEN, TS + i, body));
      }
      double lib = 0;
      double many = 0;
      double jdk = 0;
      long sink = 0;
      for (int round = 0; round < 3; round++) { // rounds 0 and 1 warm up the JIT
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
          sink += signer.sign(new Omni.Request("POST", URL, PARTNER, STORE, TOKEN, TS + i, body))
              .length();
        }
        lib = (System.nanoTime() - start) / (double) n;
        start = System.nanoTime();
        for (int i = 0; i < n / BATCH; i++) {
          sink += signer.signMany(batch).size();
        }
        many = (System.nanoTime() - start) / (double) (n / BATCH * BATCH);
        start = System.nanoTime();
        for (int i = 0; i < n; i++) {
          sink += nat.sign("POST", URL, TS + i, body).length();
        }
        jdk = (System.nanoTime() - start) / (double) n;
      }
      System.out.printf("java\tlibomni\t%.0f%n", lib);
      System.out.printf("java\tlibomni signMany x%d\t%.0f%n", BATCH, many);
      System.out.printf("java\tnative\t%.0f%n", jdk);
      if (sink == 42) {
        System.out.println();
      }
    }
  }
}
