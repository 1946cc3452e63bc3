package omni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every case of tests/vectors/signing.json (written by an independent Python implementation;
 * path in the system property omni.vectors): signatures, base strings, body hashes and
 * verification for the valid cases, the status name of each error case.
 */
class VectorsTest {
  private static JsonObject vectors() throws IOException {
    String path = System.getProperty("omni.vectors");
    assertTrue(path != null && !path.isEmpty(), "set -Domni.vectors to tests/vectors/signing.json");
    JsonObject doc = JsonParser.parseString(Files.readString(Path.of(path))).getAsJsonObject();
    assertEquals(1, doc.get("version").getAsInt(), "vectors version");
    return doc;
  }

  private static String text(JsonObject c, String key) {
    JsonElement e = c.get(key);
    return e == null || e.isJsonNull() ? null : e.getAsString();
  }

  static Request request(JsonObject c) {
    return new Request(text(c, "method"), text(c, "url"), text(c, "partner_client_id"),
        text(c, "store_client_id"), text(c, "store_token"), c.get("timestamp_ms").getAsLong(),
        HexFormat.of().parseHex(text(c, "body_hex")));
  }

  static byte[] secret(JsonObject c) {
    return text(c, "secret").getBytes(StandardCharsets.UTF_8);
  }

  @TestFactory
  List<DynamicTest> validCases() throws IOException {
    List<DynamicTest> tests = new ArrayList<>();
    for (JsonElement e : vectors().getAsJsonArray("cases")) {
      JsonObject c = e.getAsJsonObject();
      tests.add(DynamicTest.dynamicTest(text(c, "name"), () -> {
        JsonObject expect = c.getAsJsonObject("expect");
        Request r = request(c);
        byte[] secret = secret(c);
        String sig = text(expect, "signature");
        assertEquals(sig, Omni.sign(secret, r), "Omni.sign");
        assertEquals(text(expect, "base_string"), Omni.baseString(r), "baseString");
        assertEquals(text(expect, "body_hash"), Omni.bodyHash(r.body()), "bodyHash");
        try (Signer s = new Signer(secret)) {
          assertEquals(sig, s.sign(r), "Signer.sign");
          assertEquals(sig.substring("sha256=".length()), s.sign(r, true), "bare hex");
        }
        Omni.verify(secret, r.method(), r.url(), r.partnerClientId(), r.storeClientId(),
            r.storeToken(), Long.toString(r.timestampMs()), sig, r.body(), r.timestampMs(),
            Omni.DEFAULT_TOLERANCE_MS, true);
      }));
    }
    assertTrue(tests.size() > 0, "no valid cases read");
    return tests;
  }

  @TestFactory
  List<DynamicTest> errorCases() throws IOException {
    List<DynamicTest> tests = new ArrayList<>();
    for (JsonElement e : vectors().getAsJsonArray("error_cases")) {
      JsonObject c = e.getAsJsonObject();
      String want = "OMNI_" + text(c, "expect_error").toUpperCase(Locale.ROOT);
      tests.add(DynamicTest.dynamicTest(text(c, "name") + " -> " + want, () -> {
        Request r = request(c);
        byte[] secret = secret(c);
        assertEquals(want, assertThrows(OmniException.class, () -> Omni.sign(secret, r))
            .status(), "Omni.sign");
        if (secret.length == 0) {
          assertEquals(want, assertThrows(OmniException.class, () -> new Signer(secret))
              .status(), "new Signer");
        } else {
          try (Signer s = new Signer(secret)) {
            assertEquals(want, assertThrows(OmniException.class, () -> s.sign(r)).status(),
                "Signer.sign");
          }
        }
      }));
    }
    assertTrue(tests.size() > 0, "no error cases read");
    return tests;
  }
}
