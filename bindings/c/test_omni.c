/*
 * Tests libomni through include/omni.h against every case of tests/vectors/signing.json
 * (converted to tab-separated lines by bindings/vectors_to_tsv.py) and the status codes of bad
 * inputs. Run by scripts/check-ffi.sh under valgrind:
 *   test_omni <vectors.tsv>
 * Prints "N passed, M failed" and exits non-zero when anything failed.
 */
#include "omni.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int passed, failed;

#define CHECK(cond, ...)                                  \
  do {                                                    \
    if (cond) {                                           \
      passed++;                                           \
    } else {                                              \
      failed++;                                           \
      fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
      fprintf(stderr, __VA_ARGS__);                       \
      fputc('\n', stderr);                                \
    }                                                     \
  } while (0)

/* A decoded field: bytes plus a NUL; `null` for "-". */
typedef struct {
  char *data;
  size_t len;
  int null;
} field;

static int unhex(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

static field decode(const char *hex) {
  field f = {NULL, 0, 0};
  if (strcmp(hex, "-") == 0) {
    f.null = 1;
    return f;
  }
  size_t n = strlen(hex) / 2;
  f.data = malloc(n + 1);
  if (!f.data) abort();
  for (size_t i = 0; i < n; i++) {
    f.data[i] = (char)(unhex(hex[2 * i]) * 16 + unhex(hex[2 * i + 1]));
  }
  f.data[n] = 0;
  f.len = n;
  return f;
}

/* A C string cannot hold a NUL byte: such a vector cannot be expressed through this ABI. */
static int has_nul(const field *f) { return !f->null && strlen(f->data) != f->len; }

static const char *str(const field *f) { return f->null ? NULL : f->data; }

enum { F_KIND, F_NAME, F_SECRET, F_METHOD, F_URL, F_PARTNER, F_STORE, F_TOKEN, F_TS, F_BODY,
       F_PATH, F_HASH, F_BASE, F_SIG, F_MAX };
/* In an error line, the expected kind takes the place of the path. */
#define F_SIGN_KIND_COL F_PATH

typedef struct {
  char *cols[F_MAX];
  int ncols;
  field secret, method, url, partner, store, token, body;
  long long ts;
} vector;

static void free_vector(vector *v) {
  field *fs[] = {&v->secret, &v->method, &v->url, &v->partner, &v->store, &v->token, &v->body};
  for (size_t i = 0; i < sizeof fs / sizeof fs[0]; i++) free(fs[i]->data);
}

static int parse_line(char *line, vector *v) {
  memset(v, 0, sizeof *v);
  line[strcspn(line, "\r\n")] = 0;
  /* Split on every tab: empty columns (an empty method, say) are fields too. */
  for (char *tok = line; tok && v->ncols < F_MAX;) {
    v->cols[v->ncols++] = tok;
    tok = strchr(tok, '\t');
    if (tok) *tok++ = 0;
  }
  if (v->ncols < F_BODY + 1) return 0;
  v->secret = decode(v->cols[F_SECRET]);
  v->method = decode(v->cols[F_METHOD]);
  v->url = decode(v->cols[F_URL]);
  v->partner = decode(v->cols[F_PARTNER]);
  v->store = decode(v->cols[F_STORE]);
  v->token = decode(v->cols[F_TOKEN]);
  v->body = decode(v->cols[F_BODY]);
  if (v->body.null) v->body = decode("");
  v->ts = strtoll(v->cols[F_TS], NULL, 10);
  return 1;
}

static omni_status sign_vector(const vector *v, char *out, size_t cap, size_t *len) {
  return omni_sign((const uint8_t *)v->secret.data, v->secret.len, v->method.data, v->url.data,
                   v->partner.data, str(&v->store), str(&v->token), v->ts,
                   (const uint8_t *)v->body.data, v->body.len, out, cap, len);
}

static void check_ok_case(const vector *v, omni_request *batch_req, char *expected_sig) {
  const char *name = v->cols[F_NAME];
  field hash = decode(v->cols[F_HASH]), base = decode(v->cols[F_BASE]),
        sig = decode(v->cols[F_SIG]);
  char out[OMNI_SIGNATURE_BUFFER_SIZE];
  size_t len = 99;

  /* Asking for the size. */
  omni_status st = sign_vector(v, NULL, 0, &len);
  CHECK(st == OMNI_BUFFER_TOO_SMALL && len == sig.len, "%s: size query st=%d len=%zu", name,
        st, len);
  st = sign_vector(v, out, sizeof out, &len);
  CHECK(st == OMNI_OK && len == sig.len && strcmp(out, sig.data) == 0,
        "%s: omni_sign st=%d got %s want %s", name, st, out, sig.data);

  /* Base string: size query, then exactly fitting buffer. */
  st = omni_base_string(v->method.data, v->url.data, v->partner.data, str(&v->store),
                        str(&v->token), v->ts, (const uint8_t *)v->body.data, v->body.len, NULL,
                        0, &len);
  CHECK(st == OMNI_BUFFER_TOO_SMALL && len == base.len, "%s: base size st=%d", name, st);
  char *bs = malloc(len + 1);
  if (!bs) abort();
  st = omni_base_string(v->method.data, v->url.data, v->partner.data, str(&v->store),
                        str(&v->token), v->ts, (const uint8_t *)v->body.data, v->body.len, bs,
                        len + 1, &len);
  CHECK(st == OMNI_OK && len == base.len && memcmp(bs, base.data, len) == 0 && bs[len] == 0,
        "%s: base string st=%d", name, st);
  free(bs);

  char hex[OMNI_BODY_HASH_BUFFER_SIZE];
  st = omni_body_hash((const uint8_t *)v->body.data, v->body.len, hex, sizeof hex, &len);
  CHECK(st == OMNI_OK && strcmp(hex, hash.data) == 0, "%s: body hash", name);

  /* Reusable signer, both formats. */
  omni_signer *signer = NULL;
  st = omni_signer_new((const uint8_t *)v->secret.data, v->secret.len, &signer);
  CHECK(st == OMNI_OK && signer != NULL, "%s: signer_new st=%d", name, st);
  st = omni_signer_sign(signer, v->method.data, v->url.data, v->partner.data, str(&v->store),
                        str(&v->token), v->ts, (const uint8_t *)v->body.data, v->body.len, 0,
                        out, sizeof out, &len);
  CHECK(st == OMNI_OK && strcmp(out, sig.data) == 0, "%s: signer_sign st=%d", name, st);
  st = omni_signer_sign(signer, v->method.data, v->url.data, v->partner.data, str(&v->store),
                        str(&v->token), v->ts, (const uint8_t *)v->body.data, v->body.len,
                        OMNI_SIGN_BARE_HEX, out, sizeof out, &len);
  CHECK(st == OMNI_OK && len == 64 && strcmp(out, sig.data + 7) == 0, "%s: bare hex", name);
  omni_signer_free(signer);

  /* The server side accepts it, and refuses a changed body. */
  char ts[24];
  snprintf(ts, sizeof ts, "%lld", v->ts);
  st = omni_verify((const uint8_t *)v->secret.data, v->secret.len, v->method.data, v->url.data,
                   v->partner.data, str(&v->store), str(&v->token), ts, sig.data,
                   (const uint8_t *)v->body.data, v->body.len, v->ts, OMNI_DEFAULT_TOLERANCE_MS,
                   OMNI_VERIFY_STRICT);
  CHECK(st == OMNI_OK, "%s: verify st=%d", name, st);
  st = omni_verify((const uint8_t *)v->secret.data, v->secret.len, v->method.data, v->url.data,
                   v->partner.data, str(&v->store), str(&v->token), ts, sig.data,
                   (const uint8_t *)"x", 1, v->ts, OMNI_DEFAULT_TOLERANCE_MS, 0);
  CHECK(st == OMNI_SIGNATURE_MISMATCH, "%s: verify of another body st=%d", name, st);

  if (batch_req) {
    omni_request r = {v->method.data, v->url.data, v->partner.data, str(&v->store),
                      str(&v->token), v->ts, (const uint8_t *)v->body.data, v->body.len};
    *batch_req = r;
    memcpy(expected_sig, sig.data, sig.len + 1);
  }
  free(hash.data);
  free(base.data);
  free(sig.data);
}

/* The status named after an omni-sign error kind: "OMNI_" and the kind in upper case. */
static void status_name_of_kind(const char *kind, char *name, size_t cap) {
  size_t n = (size_t)snprintf(name, cap, "OMNI_%s", kind);
  for (size_t i = 0; i < n && i < cap; i++) name[i] = (char)toupper((unsigned char)name[i]);
}

static void check_error_case(const vector *v) {
  const char *name = v->cols[F_NAME];
  const field *strs[] = {&v->method, &v->url, &v->partner, &v->store, &v->token};
  for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
    if (has_nul(strs[i])) {
      /* Not silent: a C string ends at its first NUL, so this input cannot reach libomni. */
      printf("not expressible as C strings (embedded NUL), left to the other bindings: %s\n",
             name);
      return;
    }
  }
  const char *kind = v->cols[F_SIGN_KIND_COL];
  char want_name[64];
  status_name_of_kind(kind, want_name, sizeof want_name);
  char out[OMNI_SIGNATURE_BUFFER_SIZE];
  size_t len = 99;
  omni_status st = sign_vector(v, out, sizeof out, &len);
  CHECK(st != OMNI_OK && strcmp(omni_status_name(st), want_name) == 0 && len == 0 && out[0] == 0,
        "%s (%s): st=%d %s", name, kind, st, omni_status_name(st));
  omni_status signed_st = st;
  st = omni_base_string(v->method.data, v->url.data, v->partner.data, str(&v->store),
                        str(&v->token), v->ts, (const uint8_t *)v->body.data, v->body.len, NULL,
                        0, &len);
  /* An empty secret is the only rule the base string does not involve. */
  omni_status want = strcmp(kind, "empty_secret") == 0 ? OMNI_BUFFER_TOO_SMALL : signed_st;
  CHECK(st == want, "%s: base string st=%d", name, st);
}

static const uint8_t KEY[] = "partner-secret-key";
#define KEY_LEN (sizeof KEY - 1)

static omni_status sign_simple(const uint8_t *key, size_t key_len, const char *partner,
                               const char *store, const char *token, int64_t ts, char *out,
                               size_t cap, size_t *len) {
  return omni_sign(key, key_len, "GET", "/api/v1/partner/x", partner, store, token, ts, NULL, 0,
                   out, cap, len);
}

static void check_bad_inputs(void) {
  char out[OMNI_SIGNATURE_BUFFER_SIZE];
  size_t len;
  omni_status st;

  st = sign_simple(NULL, 0, "p", NULL, NULL, 1, out, sizeof out, &len);
  CHECK(st == OMNI_NULL_ARGUMENT, "NULL secret st=%d", st);
  st = sign_simple(KEY, 0, "p", NULL, NULL, 1, out, sizeof out, &len);
  CHECK(st == OMNI_EMPTY_SECRET, "empty secret st=%d", st);
  st = sign_simple(KEY, KEY_LEN, NULL, NULL, NULL, 1, out, sizeof out, &len);
  CHECK(st == OMNI_NULL_ARGUMENT, "NULL partner st=%d", st);
  st = sign_simple(KEY, KEY_LEN, "p", "store", NULL, 1, out, sizeof out, &len);
  CHECK(st == OMNI_STORE_TOKEN_MISSING, "store id without token st=%d", st);
  st = sign_simple(KEY, KEY_LEN, "p", "store", "", 1, out, sizeof out, &len);
  CHECK(st == OMNI_INVALID_HEADER_VALUE, "store id with empty token st=%d", st);
  st = sign_simple(KEY, KEY_LEN, "p", NULL, "tok", 1, out, sizeof out, &len);
  CHECK(st == OMNI_STORE_CLIENT_ID_MISSING, "token without store id st=%d", st);
  st = sign_simple(KEY, KEY_LEN, "p", "", "", 1, out, sizeof out, &len);
  CHECK(st == OMNI_OK, "empty store pair means absent st=%d", st);
  char absent[OMNI_SIGNATURE_BUFFER_SIZE];
  st = sign_simple(KEY, KEY_LEN, "p", NULL, NULL, 1, absent, sizeof absent, &len);
  CHECK(st == OMNI_OK && strcmp(out, absent) == 0, "\"\" and NULL store pair sign alike");
  st = sign_simple(KEY, KEY_LEN, "p\nx-timestamp:1", NULL, NULL, 1, out, sizeof out, &len);
  CHECK(st == OMNI_INVALID_HEADER_VALUE, "newline in header st=%d", st);
  st = sign_simple(KEY, KEY_LEN, "p", "s", "tok\r\n", 1, out, sizeof out, &len);
  CHECK(st == OMNI_INVALID_HEADER_VALUE, "CRLF in store token st=%d", st);
  st = omni_sign(KEY, KEY_LEN, "get", "/", "p", NULL, NULL, 1, NULL, 0, out, sizeof out, &len);
  CHECK(st == OMNI_INVALID_METHOD, "lowercase method st=%d", st);
  st = omni_sign(KEY, KEY_LEN, "GET", "x", "p", NULL, NULL, 1, NULL, 0, out, sizeof out, &len);
  CHECK(st == OMNI_INVALID_URL, "relative URL st=%d", st);
  st = sign_simple(KEY, KEY_LEN, "\xff", NULL, NULL, 1, out, sizeof out, &len);
  CHECK(st == OMNI_INVALID_UTF8, "invalid UTF-8 st=%d", st);
  st = sign_simple(KEY, KEY_LEN, "p", NULL, NULL, -1, out, sizeof out, &len);
  CHECK(st == OMNI_INVALID_TIMESTAMP, "negative timestamp st=%d", st);

  /* Buffers: one byte short of the NUL, NULL out with a capacity, NULL out_len. */
  memset(out, 'x', sizeof out);
  st = sign_simple(KEY, KEY_LEN, "p", NULL, NULL, 1, out, 71, &len);
  CHECK(st == OMNI_BUFFER_TOO_SMALL && len == 71 && out[0] == 0 && out[71] == 'x',
        "small buffer st=%d len=%zu", st, len);
  st = sign_simple(KEY, KEY_LEN, "p", NULL, NULL, 1, NULL, 10, &len);
  CHECK(st == OMNI_NULL_ARGUMENT, "NULL out with capacity st=%d", st);
  st = sign_simple(KEY, KEY_LEN, "p", NULL, NULL, 1, out, sizeof out, NULL);
  CHECK(st == OMNI_NULL_ARGUMENT, "NULL out_len st=%d", st);
  st = omni_sign(KEY, KEY_LEN, "GET", "/", "p", NULL, NULL, 1, NULL, 5, out, sizeof out, &len);
  CHECK(st == OMNI_NULL_ARGUMENT, "NULL body with a length st=%d", st);
  st = omni_body_hash(NULL, 0, out, sizeof out, &len);
  CHECK(st == OMNI_OK && len == 64 &&
            strcmp(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") == 0,
        "empty body hash");

  /* Signer handle. */
  omni_signer *signer = (omni_signer *)&len; /* must be overwritten with NULL on failure */
  st = omni_signer_new(KEY, 0, &signer);
  CHECK(st == OMNI_EMPTY_SECRET && signer == NULL, "signer_new empty secret st=%d", st);
  st = omni_signer_new(NULL, 3, &signer);
  CHECK(st == OMNI_NULL_ARGUMENT && signer == NULL, "signer_new NULL secret st=%d", st);
  st = omni_signer_new(KEY, KEY_LEN, NULL);
  CHECK(st == OMNI_NULL_ARGUMENT, "signer_new NULL out st=%d", st);
  omni_signer_free(NULL);
  st = omni_signer_sign(NULL, "GET", "/", "p", NULL, NULL, 1, NULL, 0, 0, out, sizeof out, &len);
  CHECK(st == OMNI_NULL_ARGUMENT, "signer_sign NULL signer st=%d", st);
  st = omni_signer_new(KEY, KEY_LEN, &signer);
  CHECK(st == OMNI_OK, "signer_new st=%d", st);
  st = omni_signer_sign(signer, "GET", "/", "p", NULL, NULL, 1, NULL, 0, 2, out, sizeof out, &len);
  CHECK(st == OMNI_INVALID_INPUT, "unknown sign flag st=%d", st);
  omni_request reqs[2] = {{"GET", "/", "p", NULL, NULL, 1, NULL, 0},
                          {"GET", "/", "p", "s", NULL, 1, NULL, 0}};
  char many[2 * OMNI_SIGNATURE_BUFFER_SIZE];
  omni_status sts[2];
  st = omni_signer_sign_many(signer, reqs, 2, 0, many, sizeof many - 1, sts);
  CHECK(st == OMNI_BUFFER_TOO_SMALL, "sign_many small buffer st=%d", st);
  st = omni_signer_sign_many(signer, reqs, 2, 0, many, sizeof many, sts);
  CHECK(st == OMNI_STORE_TOKEN_MISSING && sts[0] == OMNI_OK &&
            sts[1] == OMNI_STORE_TOKEN_MISSING &&
            strlen(many) == 71 && many[OMNI_SIGNATURE_BUFFER_SIZE] == 0,
        "sign_many partial failure st=%d", st);
  omni_signer_free(signer);

  /* Verify: each check answers its own status. */
  char sig[OMNI_SIGNATURE_BUFFER_SIZE];
  sign_simple(KEY, KEY_LEN, "p", NULL, NULL, 1000000, sig, sizeof sig, &len);
#define VERIFY(ts, s, now, tol, flags)                                                         \
  omni_verify(KEY, KEY_LEN, "GET", "/api/v1/partner/x?q=1", "p", NULL, NULL, ts, s, NULL, 0, \
              now, tol, flags)
  CHECK(VERIFY("1000000", sig, 1300000, 300000, OMNI_VERIFY_STRICT) == OMNI_OK,
        "verify at the window boundary");
  CHECK(VERIFY("1000000", sig, 1300001, 300000, 0) == OMNI_TIMESTAMP_OUTSIDE_WINDOW,
        "verify outside the window");
  CHECK(VERIFY("1000000", sig + 7, 1000000, 300000, 0) == OMNI_OK, "bare hex, not strict");
  CHECK(VERIFY("1000000", sig + 7, 1000000, 300000, OMNI_VERIFY_STRICT) ==
            OMNI_MALFORMED_SIGNATURE,
        "bare hex, strict");
  CHECK(VERIFY("1000000", "sha256=zz", 1000000, 300000, 0) == OMNI_MALFORMED_SIGNATURE,
        "malformed signature");
  CHECK(VERIFY("1000001", sig, 1000000, 300000, 0) == OMNI_SIGNATURE_MISMATCH,
        "another timestamp");
  CHECK(VERIFY("01000000", sig, 1000000, 300000, 0) == OMNI_MALFORMED_TIMESTAMP,
        "malformed timestamp");
  CHECK(VERIFY("1000000", sig, -1, 300000, 0) == OMNI_INVALID_INPUT, "negative now");
  CHECK(VERIFY("1000000", sig, 1000000, 300000, 4) == OMNI_INVALID_INPUT, "unknown flag");
  CHECK(VERIFY(NULL, sig, 1000000, 300000, 0) == OMNI_NULL_ARGUMENT, "NULL timestamp");

  /* JSON.stringify form (`json-stringify-form`, strict). */
  const char *json = "{ \"b\": 1.0, \"a\": [1e21, -0, \"\\u00e9\"] }";
  char js[64];
  st = omni_json_stringify(json, strlen(json), js, sizeof js, &len);
  CHECK(st == OMNI_OK && strcmp(js, "{\"b\":1,\"a\":[1e+21,0,\"\xc3\xa9\"]}") == 0,
        "json_stringify st=%d out=%s", st, js);
  st = omni_json_stringify(json, strlen(json), NULL, 0, &len);
  CHECK(st == OMNI_BUFFER_TOO_SMALL && len == strlen("{\"b\":1,\"a\":[1e+21,0,\"\xc3\xa9\"]}"),
        "json_stringify size query");
  st = omni_json_stringify("{", 1, js, sizeof js, &len);
  CHECK(st == OMNI_INVALID_JSON, "json_stringify of bad JSON st=%d", st);
  st = omni_json_stringify("9007199254740993", 16, js, sizeof js, &len);
  CHECK(st == OMNI_INVALID_JSON, "json_stringify of an inexact integer st=%d", st);
  st = omni_json_stringify("\"\xff\"", 3, js, sizeof js, &len);
  CHECK(st == OMNI_INVALID_UTF8, "json_stringify of invalid UTF-8 st=%d", st);
  st = omni_json_stringify(NULL, 0, js, sizeof js, &len);
  CHECK(st == OMNI_NULL_ARGUMENT, "json_stringify of NULL st=%d", st);

  /* Messages and names. */
  CHECK(strcmp(omni_status_str(OMNI_OK), "ok") == 0, "status_str(OK)");
  CHECK(strcmp(omni_status_str(OMNI_STORE_TOKEN_MISSING),
               "x-store-client-id is present without x-store-token") == 0,
        "status_str(STORE_TOKEN_MISSING)");
  CHECK(strcmp(omni_status_name(OMNI_INVALID_TIMESTAMP), "OMNI_INVALID_TIMESTAMP") == 0 &&
            strcmp(omni_status_name(OMNI_OK), "OMNI_OK") == 0 &&
            strcmp(omni_status_name(-1), "OMNI_UNKNOWN_STATUS") == 0,
        "status_name");
  CHECK(omni_status_str(-1) != NULL && omni_status_str(1000) != NULL &&
            strcmp(omni_status_str(1000), omni_status_str(OMNI_PANIC)) != 0,
        "status_str of unknown values");
}

/*
 * omni_diagnose on the cases of `omni verify`'s tests that libomni's own signer can produce:
 * accepted requests, and faulty signers whose pitfall the verdict must name.
 */
#define D_TS 1709024577000LL
#define D_NOW 1709024580000LL

/* A signature by libomni of a GET by ptnr_1 (store pair absent). */
static void d_sign(const char *url, long long ts, const char *body, uint32_t flags,
                   char sig[OMNI_SIGNATURE_BUFFER_SIZE]) {
  omni_signer *signer;
  size_t len;
  omni_signer_new(KEY, KEY_LEN, &signer);
  omni_status st = omni_signer_sign(signer, "GET", url, "ptnr_1", NULL, NULL, ts,
                                    (const uint8_t *)body, strlen(body), flags, sig,
                                    OMNI_SIGNATURE_BUFFER_SIZE, &len);
  CHECK(st == OMNI_OK, "diagnose: signing %s st=%d", url, st);
  omni_signer_free(signer);
}

/* The verdict of a GET by ptnr_1 with x-timestamp `ts`, x-signature `sig` and, when
 * `with_store`, a store pair; malloc'd, NULL when the call failed. */
static char *d_verdict(const char *url, const char *ts, const char *sig, int with_store,
                       const char *body, uint32_t flags) {
  omni_header headers[5] = {{"x-partner-client-id", "ptnr_1"}};
  size_t n = 1;
  if (ts) headers[n++] = (omni_header){"x-timestamp", ts};
  headers[n++] = (omni_header){"X-Signature", sig};
  if (with_store) {
    headers[n++] = (omni_header){"x-store-client-id", "str_1"};
    headers[n++] = (omni_header){"x-store-token", "stkn_very_secret"};
  }
  size_t len = 0;
  omni_status st = omni_diagnose("GET", url, headers, n, (const uint8_t *)body, strlen(body),
                                 KEY, KEY_LEN, D_NOW, OMNI_DEFAULT_TOLERANCE_MS, flags, NULL, 0,
                                 &len);
  CHECK(st == OMNI_BUFFER_TOO_SMALL && len > 0, "diagnose size query st=%d", st);
  char *out = malloc(len + 1);
  if (!out) abort();
  size_t len2 = 0;
  st = omni_diagnose("GET", url, headers, n, (const uint8_t *)body, strlen(body), KEY, KEY_LEN,
                     D_NOW, OMNI_DEFAULT_TOLERANCE_MS, flags, out, len + 1, &len2);
  CHECK(st == OMNI_OK && len2 == len && strlen(out) == len, "diagnose st=%d", st);
  if (st != OMNI_OK) {
    free(out);
    return NULL;
  }
  return out;
}

/* The verdict names `check` and, first, `pitfall` (NULL: no combination). */
static void d_expect(const char *what, char *json, const char *check, const char *pitfall) {
  if (!json) return;
  char want[128];
  CHECK(strncmp(json, "{\"version\":1,", 13) == 0, "%s: version: %s", what, json);
  if (check) {
    snprintf(want, sizeof want, "\"accepted\":false,\"check\":\"%s\"", check);
  } else {
    snprintf(want, sizeof want, "\"accepted\":true,\"check\":null");
  }
  CHECK(strstr(json, want) != NULL, "%s: want %s in %s", what, want, json);
  if (pitfall) {
    snprintf(want, sizeof want, "\"combinations\":[{\"pitfalls\":[{\"name\":\"%s\"", pitfall);
    CHECK(strstr(json, want) != NULL, "%s: want pitfall %s in %s", what, pitfall, json);
  } else {
    CHECK(strstr(json, "\"combinations\":[]") != NULL, "%s: no combination: %s", what, json);
  }
  CHECK(strstr(json, "stkn_very_secret") == NULL, "%s: the store token shows", what);
  free(json);
}

static void check_diagnose(void) {
  char sig[OMNI_SIGNATURE_BUFFER_SIZE];
  const char *ts = "1709024577000";

  d_sign("https://h/api/v1/partner/x?page=2", D_TS, "", 0, sig);
  d_expect("accepted", d_verdict("https://h/api/v1/partner/x?page=2", ts, sig, 0, "", 0), NULL,
           NULL);
  d_sign("/partner/x", D_TS, "{\"a\":1}", 0, sig);
  d_expect("accepted with a body", d_verdict("/partner/x", ts, sig, 0, "{\"a\":1}", 0), NULL,
           NULL);

  d_sign("/partner/x", D_TS, "{\n  \"a\": 1\n}", 0, sig);
  d_expect("pretty hashed, minified sent", d_verdict("/partner/x", ts, sig, 0, "{\"a\":1}", 0),
           "signature_mismatch", "pretty-vs-minified-body");
  /* /api/v1 left on PATH: the signer, given it twice, strips one. */
  d_sign("/api/v1/api/v1/partner/x", D_TS, "", 0, sig);
  d_expect("api/v1", d_verdict("/api/v1/partner/x", ts, sig, 0, "", 0), "signature_mismatch",
           "api-v1-not-stripped");
  d_sign("/partner/stores/catalog/1", D_TS, "", 0, sig);
  d_expect("store headers", d_verdict("/partner/stores/catalog/1", ts, sig, 1, "", 0),
           "signature_mismatch", "store-headers-left-out");
  d_sign("/partner/x", 1709024000000LL, "", 0, sig);
  d_expect("stale", d_verdict("/partner/x", "1709024000000", sig, 0, "", 0),
           "timestamp_outside_window", "stale-timestamp");
  d_sign("/partner/x", D_TS, "", OMNI_SIGN_BARE_HEX, sig);
  d_expect("bare hex, lenient", d_verdict("/partner/x", ts, sig, 0, "", 0), NULL, NULL);
  d_expect("bare hex, strict", d_verdict("/partner/x", ts, sig, 0, "", OMNI_VERIFY_STRICT),
           "malformed_signature", "bare-hex-under-strict");
  d_sign("/partner/x", D_TS, "", 0, sig);
  d_expect("missing x-timestamp", d_verdict("/partner/x", NULL, sig, 0, "", 0), "missing_header",
           NULL);
  d_expect("another request", d_verdict("/partner/y", ts, sig, 0, "", 0), "signature_mismatch",
           NULL);

  /* Unusable arguments fail the call. */
  size_t len;
  char out[16];
  CHECK(omni_diagnose("GET", "/", NULL, 1, NULL, 0, KEY, KEY_LEN, D_NOW, 300000, 0, out,
                      sizeof out, &len) == OMNI_NULL_ARGUMENT,
        "diagnose NULL headers");
  CHECK(omni_diagnose("GET", "/", NULL, 0, NULL, 0, KEY, 0, D_NOW, 300000, 0, out, sizeof out,
                      &len) == OMNI_EMPTY_SECRET,
        "diagnose empty secret");
  CHECK(omni_diagnose("GET", "/", NULL, 0, NULL, 0, KEY, KEY_LEN, D_NOW, 300000, 2, out,
                      sizeof out, &len) == OMNI_INVALID_INPUT,
        "diagnose unknown flag");
}

/* Signing from many threads with one signer. */
typedef struct {
  omni_signer *signer;
  const char *want;
  int bad;
} thread_arg;

static void *sign_loop(void *p) {
  thread_arg *a = p;
  char out[OMNI_SIGNATURE_BUFFER_SIZE];
  size_t len;
  for (int i = 0; i < 200; i++) {
    omni_status st = omni_signer_sign(a->signer, "POST", "/api/v1/partner/x", "p", "s", "t",
                                      42, (const uint8_t *)"{}", 2, 0, out, sizeof out, &len);
    if (st != OMNI_OK || strcmp(out, a->want) != 0) a->bad++;
  }
  return NULL;
}

static void check_threads(void) {
  omni_signer *signer;
  char want[OMNI_SIGNATURE_BUFFER_SIZE];
  size_t len;
  omni_signer_new(KEY, KEY_LEN, &signer);
  omni_sign(KEY, KEY_LEN, "POST", "/api/v1/partner/x", "p", "s", "t", 42, (const uint8_t *)"{}",
            2, want, sizeof want, &len);
  enum { N = 8 };
  pthread_t threads[N];
  thread_arg args[N];
  for (int i = 0; i < N; i++) {
    args[i] = (thread_arg){signer, want, 0};
    pthread_create(&threads[i], NULL, sign_loop, &args[i]);
  }
  int bad = 0;
  for (int i = 0; i < N; i++) {
    pthread_join(threads[i], NULL);
    bad += args[i].bad;
  }
  CHECK(bad == 0, "%d wrong signatures from threads", bad);
  omni_signer_free(signer);
}

/*
 * Whether a library of version `found` serves a program built with the header of version
 * major.minor: a minor release only adds symbols and statuses, so the same major and at
 * least the header's minor (while the major is 0 the minor plays the major's part: 0.y
 * accepts 0.y' for y' >= y, never 1.x).
 */
static int version_accepted(const char *found, unsigned major, unsigned minor) {
  unsigned fmajor, fminor;
  if (sscanf(found, "%u.%u", &fmajor, &fminor) != 2) return 0;
  return fmajor == major && fminor >= minor;
}

static void check_version_rule(void) {
  CHECK(version_accepted("0.1.0", 0, 1), "0.1.0 for 0.1");
  CHECK(version_accepted("0.1.5", 0, 1), "0.1.5 for 0.1");
  CHECK(version_accepted("0.2.0", 0, 1), "0.2.0 for 0.1");
  CHECK(!version_accepted("1.0.0", 0, 1), "1.0.0 for 0.1");
  CHECK(!version_accepted("0.0.9", 0, 1), "0.0.9 for 0.1");
  CHECK(!version_accepted("0.1.0", 0, 2), "0.1.0 for 0.2");
  CHECK(version_accepted("1.3.0", 1, 2) && !version_accepted("2.0.0", 1, 2), "major 1");
  CHECK(!version_accepted("x", 0, 1) && !version_accepted("0", 0, 1), "unparsable");
}

int main(int argc, char **argv) {
  CHECK(version_accepted(omni_version(), OMNI_VERSION_MAJOR, OMNI_VERSION_MINOR),
        "library %s, header %s", omni_version(), OMNI_VERSION);
  check_version_rule();
  if (argc != 2) {
    fprintf(stderr, "usage: %s <vectors.tsv>\n", argv[0]);
    return 2;
  }
  FILE *f = fopen(argv[1], "r");
  if (!f) {
    perror(argv[1]);
    return 2;
  }
  enum { MAX_BATCH = 512 };
  omni_request batch[MAX_BATCH];
  static char expected[MAX_BATCH][OMNI_SIGNATURE_BUFFER_SIZE];
  vector kept[MAX_BATCH]; /* the batch borrows their strings */
  size_t nbatch = 0, ok_cases = 0, error_cases = 0;
  char *line = NULL;
  size_t cap = 0;
  while (getline(&line, &cap, f) > 0) {
    vector v;
    if (!parse_line(line, &v)) {
      CHECK(0, "malformed vector line");
      continue;
    }
    if (strcmp(v.cols[F_KIND], "ok") == 0 && v.ncols == F_MAX) {
      ok_cases++;
      int keep = nbatch < MAX_BATCH;
      check_ok_case(&v, keep ? &batch[nbatch] : NULL, keep ? expected[nbatch] : NULL);
      if (keep) {
        /* Same key for the whole batch: only cases signed with the first case's secret. */
        if (nbatch == 0 || (kept[0].secret.len == v.secret.len &&
                            memcmp(kept[0].secret.data, v.secret.data, v.secret.len) == 0)) {
          /* cols point into `line`, which is reused: the batch keeps only decoded fields. */
          kept[nbatch++] = v;
          continue;
        }
      }
    } else if (strcmp(v.cols[F_KIND], "error") == 0 && v.ncols == F_SIGN_KIND_COL + 1) {
      error_cases++;
      check_error_case(&v);
    } else {
      CHECK(0, "unknown vector kind");
    }
    free_vector(&v);
  }
  free(line);
  fclose(f);
  CHECK(ok_cases > 0 && error_cases > 0, "vectors read: %zu cases, %zu error cases", ok_cases,
        error_cases);

  /* The whole batch in one call. */
  if (nbatch > 0) {
    omni_signer *signer;
    omni_signer_new((const uint8_t *)kept[0].secret.data, kept[0].secret.len, &signer);
    char *out = malloc(nbatch * OMNI_SIGNATURE_BUFFER_SIZE);
    omni_status *sts = malloc(nbatch * sizeof *sts);
    if (!out || !sts) abort();
    omni_status st = omni_signer_sign_many(signer, batch, nbatch, 0, out,
                                           nbatch * OMNI_SIGNATURE_BUFFER_SIZE, sts);
    CHECK(st == OMNI_OK, "sign_many st=%d", st);
    for (size_t i = 0; i < nbatch; i++) {
      CHECK(sts[i] == OMNI_OK && strcmp(out + i * OMNI_SIGNATURE_BUFFER_SIZE, expected[i]) == 0,
            "sign_many[%zu]", i);
    }
    free(out);
    free(sts);
    omni_signer_free(signer);
    for (size_t i = 0; i < nbatch; i++) free_vector(&kept[i]);
  }

  check_bad_inputs();
  check_diagnose();
  check_threads();
  printf("vectors: %zu cases, %zu error cases\n", ok_cases, error_cases);
  printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
