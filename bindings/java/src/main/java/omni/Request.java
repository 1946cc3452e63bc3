package omni;

/**
 * One request to sign.
 *
 * @param method the HTTP method, uppercase
 * @param url the URL as sent (absolute, or a path starting with {@code /})
 * @param partnerClientId {@code x-partner-client-id}
 * @param storeClientId {@code x-store-client-id}; null (or "", with the token null or "" too)
 *     when not store-scoped
 * @param storeToken {@code x-store-token}; null (or "", with the id null or "" too) when not
 *     store-scoped
 * @param timestampMs {@code x-timestamp}, epoch milliseconds, not negative
 * @param body the body bytes as sent; null is the empty body
 */
public record Request(String method, String url, String partnerClientId, String storeClientId,
    String storeToken, long timestampMs, byte[] body) {
  /** The record's text without the store token (a secret) or the body. */
  @Override
  public String toString() {
    return "Request[method=" + method + ", url=" + url + ", partnerClientId=" + partnerClientId
        + ", storeClientId=" + storeClientId + ", storeToken="
        + (storeToken == null ? "null" : "REDACTED") + ", timestampMs=" + timestampMs + "]";
  }
}
