// Times signing one 200 B-body store-scoped POST N times through the `omni` package (napi-rs:
// a reusable Signer, one call per signature) and through Node's own crypto building the same
// base string (crypto.createHash for the body, crypto.createHmac per signature: Node's Hmac
// cannot be copied once keyed). The ways alternate in ROUNDS rounds of N/ROUNDS signatures
// after a warm-up round; each round is timed in CPU time of the process (process.cpuUsage: on a
// shared machine, time spent descheduled is not the binding's), and each way's median round
// is printed. Run by bindings/bench.sh after `napi build`; prints
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

/** `path-rules` for the URLs this benchmark sends (string operations, as fast as Node gets:
 * `new URL()` would cost more than the signature). */
function signedPath (url) {
  let path = url
  const scheme = path.indexOf('://')
  if (scheme >= 0) {
    const slash = path.indexOf('/', scheme + 3)
    path = slash >= 0 ? path.slice(slash) : '/'
  }
  for (const sep of ['?', '#']) {
    const at = path.indexOf(sep)
    if (at >= 0) path = path.slice(0, at)
  }
  if (path === '/api/v1') return '/'
  return path.startsWith('/api/v1/') ? path.slice(7) : path
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
      const start = process.cpuUsage()
      for (let i = 0; i < n; i++) sign(i)
      const used = process.cpuUsage(start)
      if (round > 0) rounds[way].push((used.user + used.system) * 1000 / n)
    }
  }
  for (const [way, ns] of Object.entries(rounds)) {
    ns.sort((a, b) => a - b)
    console.log(`node\t${way}\t${ns[ns.length >> 1].toFixed(0)}`)
  }
}

main()
