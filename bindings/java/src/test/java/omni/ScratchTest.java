package omni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/**
 * Signer.sign through the scratch (strings that fit) and through the joined string (strings that
 * do not): both give what Omni.sign gives (the joined string, no scratch), signature or status,
 * at and around the scratch's limit, and the store token does not stay in it.
 */
class ScratchTest {
  private static final byte[] KEY = "partner-secret-key".getBytes(StandardCharsets.UTF_8);
  private static final String URL = "https://h/api/v1/partner/x";

  /** What a call gives: its signature, or its refusal's status or exception class. */
  private static String outcome(Signer s, Request r) {
    try {
      return s == null ? Omni.sign(KEY, r) : s.sign(r);
    } catch (OmniException e) {
      return e.status();
    } catch (RuntimeException e) {
      return e.getClass().getName();
    }
  }

  private static String hmacOf(String base) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(KEY, "HmacSHA256"));
    return "sha256="
        + HexFormat.of().formatHex(mac.doFinal(base.getBytes(StandardCharsets.UTF_8)));
  }

  /** Signs r with a Signer and with Omni.sign, which must agree; returns the outcome. */
  private static String same(Signer s, Request r) {
    String got = outcome(s, r);
    assertEquals(outcome(null, r), got, r.toString());
    return got;
  }

  /**
   * A url of exactly {@code units} UTF-16 units that ends with {@code tail}, in its query when
   * there is one (the rules refuse a path that is not ASCII, not a query).
   */
  private static String urlOf(int units, String tail) {
    String head = "/api/v1/";
    String query = tail.isEmpty() ? "" : "?" + tail;
    return head + "a".repeat(units - head.length() - query.length()) + query;
  }

  /** The units method, partner id, store id and token ("POST", "p", "s", "t") take. */
  private static final int OTHER_UNITS = 4 + 1 + 1 + 1;

  @Test
  void stringsAtAndAroundTheScratchLimit() throws Exception {
    try (Signer s = new Signer(KEY)) {
      for (int total = Scratch.MAX_UNITS - 2; total <= Scratch.MAX_UNITS + 2; total++) {
        for (String tail : new String[] {"", "\u00e9", "\uD83D\uDE00", "\u20ac"}) {
          Request r = new Request("POST", urlOf(total - OTHER_UNITS, tail), "p", "s", "t", 9,
              "{}".getBytes(StandardCharsets.UTF_8));
          String sig = same(s, r);
          assertEquals(hmacOf(Omni.baseString(r)), sig, "total " + total + " tail " + tail);
        }
      }
      // A long value in each position, alone past the limit.
      String wide = "x".repeat(Scratch.MAX_UNITS + 1);
      assertEquals(hmacOf(Omni.baseString(new Request("GET", "/" + wide, "p", null, null, 1,
          null))), same(s, new Request("GET", "/" + wide, "p", null, null, 1, null)));
      same(s, new Request("GET", "/x", wide, null, null, 1, null));
      same(s, new Request("GET", "/x", "p", wide, "t", 1, null));
      same(s, new Request("GET", "/x", "p", "s", wide, 1, null));
      same(s, new Request(wide, "/x", "p", null, null, 1, null));
    }
  }

  @Test
  void loneSurrogatesAtTheScratchEdges() {
    try (Signer s = new Signer(KEY)) {
      for (int total = Scratch.MAX_UNITS - 2; total <= Scratch.MAX_UNITS + 2; total++) {
        // A lone high surrogate last, a lone low one last, a pair cut by the end of the url
        // (the token follows it), and a pair reversed.
        for (String tail : new String[] {"\uD83D", "\uDE00", "\uDE00\uD83D", "a\uDBFF"}) {
          Request r = new Request("POST", urlOf(total - OTHER_UNITS, tail), "p", "s", "t", 9,
              null);
          assertEquals("OMNI_INVALID_UTF8", same(s, r), "total " + total);
        }
        // A high surrogate ending one string and a low one starting the next are two lone
        // surrogates, not one character.
        Request split = new Request("POST", urlOf(total - OTHER_UNITS - 1, "\uD83D"), "p",
            "\uDE00", "t", 9, null);
        assertEquals("OMNI_INVALID_UTF8", same(s, split), "split at " + total);
      }
    }
  }

  @Test
  void nonAsciiAndNulThroughTheScratch() {
    try (Signer s = new Signer(KEY)) {
      String[] texts = {"", "\0", "a\0b", "\u00e9", "caf\u00e9", "\u20ac", "\uD83D\uDE00",
          "\u00ff\u0100", "\n", "ptnr_1"};
      int signedNonAscii = 0;
      for (String a : texts) {
        for (String b : texts) {
          for (Request r : new Request[] {
              new Request("POST", "/api/v1/x?q=" + a + b, "p", null, null, 1, null),
              new Request("POST", "/api/v1/" + a, "p" + b, null, null, 1, null),
              new Request("GET" + a, "/x/" + b, "p", "s" + a, "t" + b, 2, new byte[] {0}),
              new Request("PUT", URL, "p", a, b, 3, a.getBytes(StandardCharsets.UTF_8))}) {
            if (same(s, r).startsWith("sha256=") && !r.url().chars().allMatch(c -> c < 0x80)) {
              signedNonAscii++;
            }
          }
        }
      }
      assertTrue(signedNonAscii > 0, "no request with a non-ASCII url was signed");
    }
  }

  @Test
  void bodiesInTheScratchAndPastIt() throws Exception {
    try (Signer s = new Signer(KEY)) {
      for (int size : new int[] {0, 1, Scratch.BODY_ROOM - 1, Scratch.BODY_ROOM,
          Scratch.BODY_ROOM + 1, 65_536, 65_537, 200_001}) {
        byte[] body = new byte[size];
        for (int i = 0; i < size; i++) {
          body[i] = (byte) (i * 7 + 3);
        }
        for (String url : new String[] {URL, urlOf(Scratch.MAX_UNITS + 1, "")}) {
          Request r = new Request("POST", url, "p", "s", "t", 42, body);
          assertEquals(hmacOf(Omni.baseString(r)), same(s, r), "body " + size);
          assertEquals(s.sign(r, true), s.sign(r).substring(7), "bare hex, body " + size);
        }
      }
    }
  }

  @Test
  void theStoreTokenDoesNotStayInTheScratch() {
    Scratch mine = Scratch.take();
    mine.release();
    String token = "stkn_SECRET_TOKEN";
    Signer s = new Signer(KEY);
    {
      List<Request> requests = List.of(
          new Request("POST", URL, "ptnr_VISIBLE", "s", token, 1, new byte[] {1, 2}),
          // Refused by the text conversion, by the header rules, and by a closed signer.
          new Request("POST", URL + "\uD800", "ptnr_VISIBLE", "s", token, 1, null),
          new Request("POST", URL, "ptnr_VISIBLE\n", "s", token, 1, null));
      for (Request r : requests) {
        outcome(s, r);
        Scratch again = Scratch.take();
        again.release();
        assertSame(mine, again, "this thread's scratch");
        assertTrue(mine.holds("ptnr_VISIBLE"), "the check looks where the strings are");
        assertFalse(mine.holds(token), "the store token stayed in the scratch");
      }
      s.close();
      assertThrows(IllegalStateException.class, () -> s.sign(requests.get(0)));
      assertFalse(mine.holds(token), "the store token stayed in the scratch");
    }
  }

  @Test
  void manyThreadsMoreThanThePoolHolds() throws Exception {
    List<Request> requests = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      // Most fit a scratch; every tenth does not (a long url); some bodies are hashed in chunks.
      String url = i % 10 == 3 ? urlOf(Scratch.MAX_UNITS + i, "") : URL + "/" + i;
      byte[] body = new byte[i % 10 == 7 ? 5000 + i : i];
      requests.add(new Request("POST", url, "p" + i, "s", "t" + i, 1000 + i, body));
    }
    OmniTest.signsAsOmniSignFromThreads(requests, 48, 13);
  }
}
