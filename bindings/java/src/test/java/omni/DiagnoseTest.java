package omni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Omni.diagnose on the cases omni-sign's own signer can produce (as the Go and PHP bindings
 * test libomni's omni_diagnose): the verdict's check and first pitfall.
 */
class DiagnoseTest {
  private static final byte[] KEY = "partner-secret-key".getBytes(StandardCharsets.UTF_8);
  private static final long TS = 1709024577000L;
  private static final long NOW = 1709024580000L;

  /** One case: what the client signed, what the server received, what the verdict says. */
  private record Case(String name, String signedUrl, long signedTs, String signedBody,
      boolean bare, String url, String body, boolean store, boolean noTs, boolean strict,
      String check, String pitfall) {}

  private static Case ok(String name, String signedUrl, String signedBody, boolean bare,
      String url, String body) {
    return new Case(name, signedUrl, TS, signedBody, bare, url, body, false, false, false, null,
        null);
  }

  @TestFactory
  List<DynamicTest> verdicts() {
    List<Case> cases = List.of(
        ok("accepted", "https://h/api/v1/partner/x?page=2", "", false,
            "https://h/api/v1/partner/x?page=2", ""),
        ok("accepted with a body", "/partner/x", "{\"a\":1}", false, "/partner/x", "{\"a\":1}"),
        ok("bare hex, lenient", "/partner/x", "", true, "/partner/x", ""),
        new Case("pretty hashed, minified sent", "/partner/x", TS, "{\n  \"a\": 1\n}", false,
            "/partner/x", "{\"a\":1}", false, false, false, "signature_mismatch",
            "pretty-vs-minified-body"),
        // The signer, given /api/v1 twice, strips one.
        new Case("api/v1 kept", "/api/v1/api/v1/partner/x", TS, "", false, "/api/v1/partner/x",
            "", false, false, false, "signature_mismatch", "api-v1-not-stripped"),
        new Case("store headers left out", "/partner/stores/catalog/1", TS, "", false,
            "/partner/stores/catalog/1", "", true, false, false, "signature_mismatch",
            "store-headers-left-out"),
        new Case("stale", "/partner/x", 1709024000000L, "", false, "/partner/x", "", false,
            false, false, "timestamp_outside_window", "stale-timestamp"),
        new Case("bare hex, strict", "/partner/x", TS, "", true, "/partner/x", "", false, false,
            true, "malformed_signature", "bare-hex-under-strict"),
        new Case("missing x-timestamp", "/partner/x", TS, "", false, "/partner/x", "", false,
            true, false, "missing_header", null),
        new Case("another request", "/partner/x", TS, "", false, "/partner/y", "", false, false,
            false, "signature_mismatch", null));
    List<DynamicTest> tests = new ArrayList<>();
    for (Case c : cases) {
      tests.add(DynamicTest.dynamicTest(c.name(), () -> {
        String sig;
        try (Signer s = new Signer(KEY)) {
          sig = s.sign(new Request("GET", c.signedUrl(), "ptnr_1", null, null, c.signedTs(),
              c.signedBody().getBytes(StandardCharsets.UTF_8)), c.bare());
        }
        List<Map.Entry<String, String>> headers = new ArrayList<>(List.of(
            Map.entry("x-partner-client-id", "ptnr_1"), Map.entry("X-Signature", sig)));
        if (!c.noTs()) {
          headers.add(Map.entry("x-timestamp", Long.toString(c.signedTs())));
        }
        if (c.store()) {
          headers.add(Map.entry("x-store-client-id", "str_1"));
          headers.add(Map.entry("x-store-token", "stkn_very_secret"));
        }
        String json = Omni.diagnose(KEY, "GET", c.url(), headers,
            c.body().getBytes(StandardCharsets.UTF_8), NOW, Omni.DEFAULT_TOLERANCE_MS,
            c.strict());
        JsonObject v = JsonParser.parseString(json).getAsJsonObject();
        assertEquals(1, v.get("version").getAsInt(), json);
        assertEquals(c.check() == null, v.get("accepted").getAsBoolean(), json);
        String check = v.has("check") && !v.get("check").isJsonNull()
            ? v.get("check").getAsString() : null;
        assertEquals(c.check(), check, json);
        String first = null;
        JsonArray combinations = v.has("combinations") && v.get("combinations").isJsonArray()
            ? v.getAsJsonArray("combinations") : new JsonArray();
        if (combinations.size() > 0) {
          JsonArray pitfalls = combinations.get(0).getAsJsonObject().getAsJsonArray("pitfalls");
          if (pitfalls.size() > 0) {
            first = pitfalls.get(0).getAsJsonObject().get("name").getAsString();
          }
        }
        assertEquals(c.pitfall(), first, json);
        assertFalse(json.contains("stkn_very_secret"), "the store token shows: " + json);
      }));
    }
    return tests;
  }

  @Test
  void refusals() {
    List<Map.Entry<String, String>> none = List.of();
    assertEquals("OMNI_EMPTY_SECRET", assertThrows(OmniException.class,
        () -> Omni.diagnose(new byte[0], "GET", "/", none, null, NOW, 1, false)).status());
    assertEquals("OMNI_NULL_ARGUMENT", assertThrows(OmniException.class,
        () -> Omni.diagnose(null, "GET", "/", none, null, NOW, 1, false)).status());
    assertEquals("OMNI_NULL_ARGUMENT", assertThrows(OmniException.class,
        () -> Omni.diagnose(KEY, "GET", "/", null, null, NOW, 1, false)).status());
    assertEquals("OMNI_NULL_ARGUMENT", assertThrows(OmniException.class,
        () -> Omni.diagnose(KEY, null, "/", none, null, NOW, 1, false)).status());
    List<Map.Entry<String, String>> nullValue = new ArrayList<>();
    nullValue.add(new java.util.AbstractMap.SimpleEntry<>("x-a", null));
    assertEquals("OMNI_NULL_ARGUMENT", assertThrows(OmniException.class,
        () -> Omni.diagnose(KEY, "GET", "/", nullValue, null, NOW, 1, false)).status());
    assertEquals("OMNI_INVALID_INPUT", assertThrows(OmniException.class,
        () -> Omni.diagnose(KEY, "GET", "/", none, null, -1, 1, false)).status());
    assertEquals("OMNI_INVALID_UTF8", assertThrows(OmniException.class,
        () -> Omni.diagnose(KEY, "GET", "/", List.of(Map.entry("x-a", "\uD800")), null, NOW, 1,
            false)).status());
    // A malformed request is a verdict, not a failure.
    String json = Omni.diagnose(KEY, "GET", "/", List.of(Map.entry("x-a", "\0")), null, NOW, 1,
        false);
    assertFalse(JsonParser.parseString(json).getAsJsonObject().get("accepted").getAsBoolean());
  }
}
