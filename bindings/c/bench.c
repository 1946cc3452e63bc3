/*
 * Times libomni from C: one 200 B-body request signed N times with a reusable signer, the
 * baseline of the other languages (the cost of libomni itself, no binding in between). Run by
 * bindings/bench.sh; prints "c<TAB>libomni<TAB>ns per signature".
 */
#define _POSIX_C_SOURCE 199309L
#include "omni.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 200000;
  const char *prefix = "{\"storeId\":\"str_TGIxyboe7-Rz\",\"note\":\"";
  uint8_t body[200];
  size_t plen = strlen(prefix);
  memcpy(body, prefix, plen);
  memset(body + plen, 'a', 200 - plen - 2);
  memcpy(body + 198, "\"}", 2);
  omni_signer *signer;
  if (omni_signer_new((const uint8_t *)"partner-secret-key", 18, &signer) != OMNI_OK) return 1;
  char out[OMNI_SIGNATURE_BUFFER_SIZE];
  size_t len;
  double elapsed = 0;
  for (int round = 0; round < 2; round++) { /* round 0 warms up */
    double start = now_ns();
    for (long i = 0; i < n; i++) {
      if (omni_signer_sign(signer, "POST",
                           "https://partners-api.tocobagus.net/api/v1/partner/stores/catalog/sync",
                           "ptnr_1s4UqMnO64", "str_TGIxyboe7-Rz", "stkn_1G_R3r_5QTvwr_0O",
                           1709024577000 + i, body, sizeof body, 0, out, sizeof out,
                           &len) != OMNI_OK)
        return 1;
    }
    elapsed = now_ns() - start;
  }
  printf("c\tlibomni\t%.0f\n", elapsed / (double)n);
  omni_signer_free(signer);
  return 0;
}
