#!/usr/bin/env bash
# Secret-leak sweep (`secrets-never-shown`): every `omni` subcommand, on its success path and
# on every error path we can provoke, runs with canary secrets in the environment, in flags
# and in files, with RUST_LOG=trace and RUST_BACKTRACE=full. Neither stdout nor stderr may
# contain a canary, except what the user asked to see: the headers `omni sign` prints to send
# (the store token is one of them) and the token `omni onekyc token --show-token` prints.
# Canaries go where secrets go (the environment, --store-token, --secret-file, -H, the
# sandbox's registered credentials, the Redis password in --redis and ONEKYC_REDIS_URL), not into flags that are not secret and are echoed in
# usage errors on purpose (a base URL, a subcommand name).
# Online paths run against `omni sandbox` on a free loopback port, into which the canary
# credentials are registered through its admin API. Prints how many runs were checked.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/common.sh
. scripts/lib/common.sh
need_cmd curl curl
need_cmd redis-server redis-server

cargo build -q -p omni-cli
OMNI=$PWD/target/debug/omni
WORK=$(mktemp -d)
SANDBOX_PID=
REDIS_PID=
cleanup() {
  [ -n "$SANDBOX_PID" ] && kill "$SANDBOX_PID" 2>/dev/null && wait "$SANDBOX_PID" 2>/dev/null
  [ -n "$REDIS_PID" ] && kill "$REDIS_PID" 2>/dev/null && wait "$REDIS_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

# --- the canaries -------------------------------------------------------------------------
PARTNER_ID=ptnr_canary
SECRET=CANARY-partner-secret-7f3a9d   # in OMNI_SECRET_KEY
FILE_SECRET=CANARY-file-secret-2c8e41 # in a --secret-file, for another partner
FILE_PARTNER_ID=ptnr_canary_file
STORE_ID=str_canary
STORE_TOKEN=CANARY-store-token-5b2e17 # in OMNI_STORE_TOKEN and --store-token
ONEKYC_ID=0c0ffee0-0000-4000-8000-00000000ca11
PASS_KEY=ca7a2e11-5ec2-4e7a-8b1d-00000000c0de # a pass key must be a UUID
REDIS_PASSWORD=CANARY-redis-password-9e4d03 # in --redis and ONEKYC_REDIS_URL
CANARIES=("$SECRET" "$FILE_SECRET" "$STORE_TOKEN" "$PASS_KEY" "$REDIS_PASSWORD" CANARY)
printf '%s\n' "$FILE_SECRET" >"$WORK/secret"
printf '' >"$WORK/empty-secret"
printf '{"a":1}' >"$WORK/body.json"

export RUST_LOG=trace RUST_BACKTRACE=full
export OMNI_SECRET_KEY=$SECRET OMNI_CLIENT_ID=$PARTNER_ID OMNI_STORE_TOKEN=$STORE_TOKEN
export ONEKYC_CLIENT_ID=$ONEKYC_ID ONEKYC_PASS_KEY=$PASS_KEY

runs=0
# sweep LABEL ALLOWED_ON_STDOUT EXPECT COMMAND...: runs the command and fails if a canary
# other than ALLOWED_ON_STDOUT ("-" for none) shows. EXPECT is `ok` for a path that must
# succeed (so the sweep knows it saw the success output), `--` for any exit code but a
# panic's 101 or a signal's.
sweep() {
  local label=$1 allowed=$2 expect=$3; shift 3
  local code=0
  "$@" >"$WORK/out" 2>"$WORK/err" </dev/null || code=$?
  if [ "$expect" = ok ] && [ "$code" != 0 ]; then
    cat "$WORK/err" >&2
    die "secret sweep: '$label' should succeed (exit $code)"
  fi
  if [ "$code" = 101 ] || [ "$code" -gt 128 ]; then
    cat "$WORK/err" >&2
    die "secret sweep: '$label' crashed (exit $code)"
  fi
  local canary
  for canary in "${CANARIES[@]}"; do
    if grep -qF -- "$canary" "$WORK/err"; then
      grep -nF -- "$canary" "$WORK/err" | head -5 >&2
      die "secret sweep: '$label' shows a secret on stderr"
    fi
    [ "$canary" = "$allowed" ] && continue
    [ "$allowed" != - ] && [ "$canary" = CANARY ] && continue
    if grep -qF -- "$canary" "$WORK/out"; then
      grep -nF -- "$canary" "$WORK/out" | head -5 >&2
      die "secret sweep: '$label' shows a secret on stdout"
    fi
  done
  runs=$((runs + 1))
}

# --- the sandbox, with the canary credentials registered ---------------------------------
"$OMNI" sandbox --addr 127.0.0.1:0 >"$WORK/sandbox.out" 2>"$WORK/sandbox.err" &
SANDBOX_PID=$!
for _ in $(seq 100); do
  grep -q '^Omni sandbox listening on ' "$WORK/sandbox.out" 2>/dev/null && break
  sleep 0.1
done
BASE=$(sed -n 's/^Omni sandbox listening on //p' "$WORK/sandbox.out")
[ -n "$BASE" ] || die "secret sweep: omni sandbox did not start: $(cat "$WORK/sandbox.err")"
admin() { # admin PATH JSON
  curl -fsS -X POST -H 'content-type: application/json' --data "$2" "$BASE/_sandbox/$1" >/dev/null \
    || die "secret sweep: the sandbox admin API refused $1"
}
admin partners "{\"clientId\":\"$PARTNER_ID\",\"secret\":\"$SECRET\"}"
admin partners "{\"clientId\":\"$FILE_PARTNER_ID\",\"secret\":\"$FILE_SECRET\"}"
admin stores "{\"partnerClientId\":\"$PARTNER_ID\",\"storeClientId\":\"$STORE_ID\",\"storeToken\":\"$STORE_TOKEN\"}"
admin onekyc "{\"clientId\":\"$ONEKYC_ID\",\"passKey\":\"$PASS_KEY\"}"
fault() { # fault JSON: the next request gets it
  admin faults "{\"fault\":$1,\"times\":1}"
}
export OMNI_BASE_URL=$BASE/api/v1
export ONEKYC_TOKEN_BASE_URL=$BASE/onekyc-token ONEKYC_ESIGN_BASE_URL=$BASE/onekyc
CLOSED=http://127.0.0.1:9 # discard port: nothing listens on loopback

# --- omni sign ----------------------------------------------------------------------------
U=https://h/api/v1/partner/stores/catalog/1
for out in headers json curl; do
  sweep "sign -o $out" - ok "$OMNI" sign --url "$U" -o "$out" --json '{"b":2}'
  sweep "sign -o $out, store token from the environment" "$STORE_TOKEN" ok \
    "$OMNI" sign --url "$U" -o "$out" --store-client-id "$STORE_ID"
  sweep "sign -o $out, store token flag" "$STORE_TOKEN" ok \
    "$OMNI" sign --url "$U" -o "$out" --store-client-id "$STORE_ID" --store-token "$STORE_TOKEN"
  sweep "sign -o $out, --secret-file" - ok \
    "$OMNI" sign --url "$U" -o "$out" --secret-file "$WORK/secret" --data-file "$WORK/body.json"
done
sweep "sign, no secret" - -- env -u OMNI_SECRET_KEY "$OMNI" sign --url "$U"
sweep "sign, empty secret file" - -- "$OMNI" sign --url "$U" --secret-file "$WORK/empty-secret"
sweep "sign, missing secret file" - -- "$OMNI" sign --url "$U" --secret-file "$WORK/none"
sweep "sign, bad method" - -- "$OMNI" sign --url "$U" -X get
sweep "sign, bad URL" - -- "$OMNI" sign --url 'h t'
sweep "sign, store token without id" - -- "$OMNI" sign --url "$U" --store-token "$STORE_TOKEN"
sweep "sign, id without store token" - -- env -u OMNI_STORE_TOKEN "$OMNI" sign --url "$U" --store-client-id s
sweep "sign, invalid store token" - -- "$OMNI" sign --url "$U" --store-client-id s --store-token "$STORE_TOKEN "
sweep "sign, invalid store token in env" - -- env OMNI_STORE_TOKEN="x$STORE_TOKEN"$'\n' "$OMNI" sign --url "$U" --store-client-id s
sweep "sign, bad --json" - -- "$OMNI" sign --url "$U" --json '{"a":'
sweep "sign, bad --timestamp" - -- "$OMNI" sign --url "$U" --timestamp -1
sweep "sign, usage error after a token flag" - -- "$OMNI" sign --url "$U" --store-token "$STORE_TOKEN" --bogus
sweep "sign, misspelt token flag" - -- "$OMNI" sign --url "$U" --store-tokn "$STORE_TOKEN"
sweep "sign, token flag twice" - -- "$OMNI" sign --url "$U" --store-token "$STORE_TOKEN" --store-token "$STORE_TOKEN"
sweep "sign, missing data file" - -- "$OMNI" sign --url "$U" --data-file "$WORK/none"

# --- omni verify --------------------------------------------------------------------------
T=1709024580000
HEADERS=$("$OMNI" sign --url "$U" --timestamp "$T" --store-client-id "$STORE_ID")
verify_args=(--url "$U")
while IFS= read -r line; do verify_args+=(-H "$line"); done <<<"$HEADERS"
sweep "verify, accepted" - ok "$OMNI" verify "${verify_args[@]}" --now "$T"
sweep "verify, stale" - -- "$OMNI" verify "${verify_args[@]}"
sweep "verify, wrong secret" - -- "$OMNI" verify "${verify_args[@]}" --now "$T" --secret-file "$WORK/secret"
sweep "verify, wrong body" - -- "$OMNI" verify "${verify_args[@]}" --now "$T" --data '{}'
sweep "verify, malformed signature" - -- "$OMNI" verify --url "$U" --now "$T" \
  -H "x-partner-client-id: $PARTNER_ID" -H "x-timestamp: $T" -H "x-signature: $SECRET"
sweep "verify, missing header" - -- "$OMNI" verify --url "$U" -H "x-store-token: $STORE_TOKEN"
sweep "verify, malformed header" - -- "$OMNI" verify --url "$U" -H "$SECRET"
sweep "verify, no secret" - -- env -u OMNI_SECRET_KEY "$OMNI" verify "${verify_args[@]}"

# --- omni request / onboard ---------------------------------------------------------------
R=(POST /partner/onboard/sessions --json '{"redirectUri":"https://example.com/done"}')
sweep "request, partner call" - ok "$OMNI" request POST /partner/onboard/sessions \
  --json '{"redirectUri":"https://example.com/done"}'
sweep "request, store call" - ok "$OMNI" request GET /partner/stores/catalog/1 --store-client-id "$STORE_ID"
sweep "request, --secret-file" - ok "$OMNI" request "${R[@]}" --client-id "$FILE_PARTNER_ID" \
  --secret-file "$WORK/secret"
sweep "request, wrong secret (AUTH_002)" - -- "$OMNI" request "${R[@]}" --secret-file "$WORK/secret"
sweep "request, wrong store token" - -- "$OMNI" request GET /partner/stores/catalog/1 \
  --store-client-id "$STORE_ID" --store-token "x$STORE_TOKEN"
sweep "request, unreachable" - -- "$OMNI" request "${R[@]}" --base-url "$CLOSED/api/v1" --retries 1
sweep "request, bad base URL" - -- "$OMNI" request "${R[@]}" --base-url not-a-url
sweep "request, bad method" - -- "$OMNI" request get /partner/x
fault '{"kind":"status","status":503}'
sweep "request, 503" - -- "$OMNI" request "${R[@]}"
fault '{"kind":"too_many_requests","retryAfterSecs":0}'
sweep "request, 429" - -- "$OMNI" request "${R[@]}"
fault '{"kind":"drop_connection"}'
sweep "request, dropped connection" - -- "$OMNI" request "${R[@]}"
fault '{"kind":"malformed_json"}'
sweep "onboard, malformed JSON answer" - -- "$OMNI" onboard --redirect-uri https://example.com/done
sweep "onboard" - ok "$OMNI" onboard --redirect-uri https://example.com/done
sweep "onboard, wrong secret" - -- "$OMNI" onboard --redirect-uri https://example.com/done \
  --secret-file "$WORK/secret"
sweep "onboard, bad redirect" - -- "$OMNI" onboard --redirect-uri not-a-url

# --- omni onekyc --------------------------------------------------------------------------
P=(--onboarding-partner CLIENT_X-BE-CERT_REG --user-id u1 --user-id-type T --session-id s1)
sweep "onekyc token" - ok "$OMNI" onekyc token
# The token is what the user asked for; the pass key must still not show.
sweep "onekyc token --show-token" - ok "$OMNI" onekyc token --show-token
sweep "onekyc token, wrong pass key" - -- env ONEKYC_PASS_KEY=ca7a2e11-5ec2-4e7a-8b1d-0000000c0de0 \
  "$OMNI" onekyc token
sweep "onekyc token, pass key not a UUID" - -- env ONEKYC_PASS_KEY="$SECRET" "$OMNI" onekyc token
sweep "onekyc token, no client id" - -- env -u ONEKYC_CLIENT_ID "$OMNI" onekyc token
sweep "onekyc token, unreachable" - -- "$OMNI" onekyc token --token-base-url "$CLOSED"
sweep "onekyc token, bad base URL" - -- "$OMNI" onekyc token --token-base-url not-a-url
fault '{"kind":"status","status":500}'
sweep "onekyc token, 500" - -- "$OMNI" onekyc token
fault '{"kind":"malformed_json"}'
sweep "onekyc token, malformed JSON" - -- "$OMNI" onekyc token
sweep "onekyc submission-urls" - ok "$OMNI" onekyc submission-urls "${P[@]}"
fault '{"kind":"drop_connection"}'
sweep "onekyc submission-urls, dropped connection" - -- "$OMNI" onekyc submission-urls "${P[@]}"
sweep "onekyc submission-urls, bad header value" - -- "$OMNI" onekyc submission-urls \
  --onboarding-partner $'a\nb' --user-id u1 --user-id-type T --session-id s1
sweep "onekyc, usage error" - -- "$OMNI" onekyc token --environment moon

# --- the fleet token store: a private redis-server with a canary password -----------------
REDIS_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --requirepass "$REDIS_PASSWORD" \
  --save '' --appendonly no --dir "$WORK" >"$WORK/redis.log" 2>&1 &
REDIS_PID=$!
for _ in $(seq 100); do
  grep -q 'Ready to accept connections' "$WORK/redis.log" 2>/dev/null && break
  sleep 0.1
done
REDIS=redis://:$REDIS_PASSWORD@127.0.0.1:$REDIS_PORT/0
sweep "onekyc token --redis" - ok "$OMNI" onekyc token --redis "$REDIS"
sweep "onekyc token, ONEKYC_REDIS_URL" - ok env ONEKYC_REDIS_URL="$REDIS" "$OMNI" onekyc token
sweep "onekyc token --redis --show-token" - ok "$OMNI" onekyc token --redis "$REDIS" --show-token
sweep "onekyc submission-urls --redis" - ok "$OMNI" onekyc submission-urls "${P[@]}" --redis "$REDIS"
sweep "onekyc token, wrong Redis password" - -- "$OMNI" onekyc token \
  --redis "redis://:CANARY-wrong-password@127.0.0.1:$REDIS_PORT/0"
sweep "onekyc token, Redis unreachable" - -- "$OMNI" onekyc token \
  --redis "redis://:$REDIS_PASSWORD@127.0.0.1:9/0"
sweep "onekyc token, malformed Redis URL" - -- "$OMNI" onekyc token \
  --redis "redis://:$REDIS_PASSWORD@127.0.0.1:notaport/0"
sweep "onekyc token, malformed ONEKYC_REDIS_URL" - -- env ONEKYC_REDIS_URL="redis//:$REDIS_PASSWORD@x" \
  "$OMNI" onekyc token
sweep "onekyc token, Redis timeout flag without --redis" - -- env -u ONEKYC_REDIS_URL \
  "$OMNI" onekyc token --redis-timeout-ms 5
kill "$REDIS_PID"; wait "$REDIS_PID" 2>/dev/null || true; REDIS_PID=
sweep "onekyc token, Redis gone" - -- "$OMNI" onekyc token --redis "$REDIS"

# --- omni sandbox / demo / usage ----------------------------------------------------------
sweep "sandbox, address in use" - -- "$OMNI" sandbox --addr "${BASE#http://}"
sweep "sandbox, bad address" - -- "$OMNI" sandbox --addr localhost
sweep "demo" - ok "$OMNI" demo
sweep "no subcommand" - -- "$OMNI"
sweep "unknown subcommand" - -- "$OMNI" nosuchcommand
sweep "help" - ok "$OMNI" sign --help

# The sandbox itself ran all along with the canaries in its environment and RUST_LOG=trace;
# it prints its public demo credentials, never the ones registered through the admin API.
kill "$SANDBOX_PID"; wait "$SANDBOX_PID" 2>/dev/null || true; SANDBOX_PID=
sweep "sandbox (its whole run)" - ok cat "$WORK/sandbox.out" "$WORK/sandbox.err"

printf 'secret sweep: %d runs checked, no canary shown\n' "$runs"
