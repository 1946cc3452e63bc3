/* libomni declarations for PHP FFI::cdef; generated from crates/omni-ffi by examples/gen_header.rs, do not edit. */

typedef enum {
  OMNI_OK = 0,
  OMNI_NULL_ARGUMENT = 1,
  OMNI_INVALID_UTF8 = 2,
  OMNI_BUFFER_TOO_SMALL = 3,
  OMNI_INVALID_INPUT = 4,
  OMNI_TIMESTAMP_OUTSIDE_WINDOW = 5,
  OMNI_MALFORMED_SIGNATURE = 6,
  OMNI_SIGNATURE_MISMATCH = 7,
  OMNI_PANIC = 8,
  OMNI_INVALID_JSON = 9,
  OMNI_EMPTY_SECRET = 10,
  OMNI_INVALID_METHOD = 11,
  OMNI_INVALID_URL = 12,
  OMNI_INVALID_HEADER_VALUE = 13,
  OMNI_DUPLICATE_HEADER = 14,
  OMNI_STORE_TOKEN_MISSING = 15,
  OMNI_STORE_CLIENT_ID_MISSING = 16,
  OMNI_MISSING_HEADER = 17,
  OMNI_MALFORMED_TIMESTAMP = 18,
  OMNI_MALFORMED_BODY_HASH = 19,
  OMNI_INVALID_TIMESTAMP = 20,
} omni_status;

typedef struct omni_signer omni_signer;

typedef struct {
  const char *name;
  const char *value;
} omni_header;

typedef struct {
  const char *method;
  const char *url;
  const char *partner_client_id;
  const char *store_client_id;
  const char *store_token;
  int64_t timestamp_ms;
  const char *body;
  size_t body_len;
} omni_request;

omni_status omni_diagnose(const char *method,
                          const char *url,
                          const omni_header *headers,
                          size_t header_count,
                          const char *body,
                          size_t body_len,
                          const char *secret,
                          size_t secret_len,
                          int64_t now_ms,
                          int64_t tolerance_ms,
                          uint32_t flags,
                          char *out,
                          size_t out_cap,
                          size_t *out_len);

const char *omni_status_str(int32_t status);

const char *omni_status_name(int32_t status);

const char *omni_version(void);

omni_status omni_sign(const char *secret,
                      size_t secret_len,
                      const char *method,
                      const char *url,
                      const char *partner_client_id,
                      const char *store_client_id,
                      const char *store_token,
                      int64_t timestamp_ms,
                      const char *body,
                      size_t body_len,
                      char *out,
                      size_t out_cap,
                      size_t *out_len);

omni_status omni_base_string(const char *method,
                             const char *url,
                             const char *partner_client_id,
                             const char *store_client_id,
                             const char *store_token,
                             int64_t timestamp_ms,
                             const char *body,
                             size_t body_len,
                             char *out,
                             size_t out_cap,
                             size_t *out_len);

omni_status omni_body_hash(const char *body,
                           size_t body_len,
                           char *out,
                           size_t out_cap,
                           size_t *out_len);

omni_status omni_signer_new(const char *secret, size_t secret_len, omni_signer **out);

void omni_signer_free(omni_signer *signer);

omni_status omni_signer_sign(const omni_signer *signer,
                             const char *method,
                             const char *url,
                             const char *partner_client_id,
                             const char *store_client_id,
                             const char *store_token,
                             int64_t timestamp_ms,
                             const char *body,
                             size_t body_len,
                             uint32_t flags,
                             char *out,
                             size_t out_cap,
                             size_t *out_len);

omni_status omni_signer_sign_many(const omni_signer *signer,
                                  const omni_request *requests,
                                  size_t count,
                                  uint32_t flags,
                                  char *out,
                                  size_t out_cap,
                                  omni_status *statuses);

omni_status omni_verify(const char *secret,
                        size_t secret_len,
                        const char *method,
                        const char *url,
                        const char *partner_client_id,
                        const char *store_client_id,
                        const char *store_token,
                        const char *timestamp,
                        const char *signature,
                        const char *body,
                        size_t body_len,
                        int64_t now_ms,
                        int64_t tolerance_ms,
                        uint32_t flags);

omni_status omni_json_stringify(const char *json,
                                size_t json_len,
                                char *out,
                                size_t out_cap,
                                size_t *out_len);
