// Times signing one 200 B-body store-scoped POST N times through the `omni` package (napi-rs:
// a reusable Signer, one call per signature) and through Node's own crypto building the same
// base string (crypto.createHash for the body, crypto.createHmac per signature: Node's Hmac
// cannot be copied once keyed). The ways alternate in ROUNDS rounds of N/ROUNDS signatures
// after a warm-up round, and each way's median round is printed (a shared machine's load
// moves between rounds, not within one). Run by bindings/bench.sh after `napi build`; prints
// "node<TAB>way<TAB>ns per signature" lines.
'use strict'
const crypto = require('node:crypto')
const omni = require('.')

const SECRET = 'partner-secret-key'
const URL = 'https://partners-api.tocobagus.net/api/v1/partner/stores/catalog/sync'
const PARTNER = 'ptnr_1s4UqMnO64'
const STORE = 'str_TGIxyboe7-Rz'
const TOKEN = 'stkn_1G_R3r_5QTvwr_0O'
const TS = 1709024577000
const PREFIX = '{"storeId":"str_TGIxyboe7-Rz","note":"'
const BODY = Buffer.from(PREFIX + 'a'.repeat(200 - PREFIX.length - 2) + '"}')

/** `path-rules` for the URLs this benchmark sends. */
function signedPath (url) {
  let path = new globalThis.URL(url).pathname
  if (path === '/api/v1') return '/'
  if (path.startsWith('/api/v1/')) path = path.slice(7)
  return path
}

function nativeSign (method, url, ts, body) {
  const bodyHash = crypto.createHash('sha256').update(body).digest('hex')
  const base = `${method}\n${signedPath(url)}\nx-partner-client-id:${PARTNER}\n` +
    `x-store-client-id:${STORE}\nx-store-token:${TOKEN}\nx-timestamp:${ts}\n${bodyHash}`
  return 'sha256=' + crypto.createHmac('sha256', SECRET).update(base).digest('hex')
}

const ROUNDS = 9

function main () {
  const n = Math.ceil(Number(process.argv[2] || 100000) / ROUNDS)
  const signer = new omni.Signer(SECRET)
  const want = signer.sign('POST', URL, PARTNER, TS, BODY, STORE, TOKEN)
  if (nativeSign('POST', URL, TS, BODY) !== want) throw new Error('native Node signs differently')
  const ways = {
    'omni (napi-rs)': (i) => signer.sign('POST', URL, PARTNER, TS + i, BODY, STORE, TOKEN),
    native: (i) => nativeSign('POST', URL, TS + i, BODY)
  }
  const rounds = Object.fromEntries(Object.keys(ways).map((way) => [way, []]))
  for (let round = 0; round <= ROUNDS; round++) { // round 0 warms up
    for (const [way, sign] of Object.entries(ways)) {
      const start = process.hrtime.bigint()
      for (let i = 0; i < n; i++) sign(i)
      if (round > 0) rounds[way].push(Number(process.hrtime.bigint() - start) / n)
    }
  }
  for (const [way, ns] of Object.entries(rounds)) {
    ns.sort((a, b) => a - b)
    console.log(`node\t${way}\t${ns[ns.length >> 1].toFixed(0)}`)
  }
}

main()
