// Tests of the Node package `omni` (napi-rs) against tests/vectors/signing.json, hostile
// calls, the text rules and worker threads. Run: node --test test/ (after `napi build`).
'use strict'
const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const crypto = require('node:crypto')
const { Worker } = require('node:worker_threads')
const omni = require('..')

const VECTORS = process.env.OMNI_VECTORS ||
  path.join(__dirname, '..', '..', '..', 'tests', 'vectors', 'signing.json')
const doc = JSON.parse(fs.readFileSync(VECTORS, 'utf8'))
assert.equal(doc.version, 1)

/** sign's request arguments of a vector case, body as a Buffer. */
function args (c) {
  return [c.method, c.url, c.partner_client_id, c.timestamp_ms, Buffer.from(c.body_hex, 'hex'),
    c.store_client_id, c.store_token]
}

/** The error `fn` throws, checked to be an OmniError. */
function refusal (fn) {
  try {
    fn()
  } catch (e) {
    assert.ok(e instanceof omni.OmniError, `not an OmniError: ${e}`)
    assert.ok(e instanceof Error)
    return e
  }
  assert.fail('no error thrown')
}

test('there are vectors', () => {
  assert.ok(doc.cases.length > 0 && doc.error_cases.length > 0)
})

test('every case of signing.json', async (t) => {
  for (const c of doc.cases) {
    await t.test(c.name, () => {
      const a = args(c)
      const e = c.expect
      assert.equal(omni.sign(c.secret, ...a), e.signature)
      assert.equal(omni.sign(Buffer.from(c.secret), ...a), e.signature)
      assert.equal(omni.baseString(...a), e.base_string)
      assert.equal(omni.bodyHash(a[4]), e.body_hash)
      const signer = new omni.Signer(new Uint8Array(Buffer.from(c.secret)))
      assert.equal(signer.sign(...a), e.signature)
      assert.equal(signer.sign(...a, true), e.signature.slice(7))
      assert.equal(signer.sign(...a, false), e.signature)
      const u8 = new Uint8Array(a[4].length + 3).subarray(3)
      u8.set(a[4])
      assert.equal(signer.sign(a[0], a[1], a[2], BigInt(a[3]), u8, a[5], a[6]), e.signature)
      omni.verify(c.secret, c.method, c.url, c.partner_client_id, c.timestamp_ms, e.signature,
        a[4], c.store_client_id, c.store_token, { nowMs: c.timestamp_ms, strict: true })
      omni.verify(c.secret, c.method, c.url, c.partner_client_id, String(c.timestamp_ms),
        e.signature.slice(7), a[4], c.store_client_id, c.store_token,
        { nowMs: BigInt(c.timestamp_ms) })
    })
  }
})

test('every error case of signing.json', async (t) => {
  for (const c of doc.error_cases) {
    await t.test(c.name, () => {
      const want = 'OMNI_' + c.expect_error.toUpperCase()
      const a = args(c)
      const e = refusal(() => omni.sign(c.secret, ...a))
      assert.equal(e.constructor, omni.InvalidInputError)
      assert.equal(e.code, want)
      assert.equal(e.name, 'InvalidInputError')
      if (c.expect_error === 'empty_secret') {
        assert.equal(refusal(() => new omni.Signer(c.secret)).code, want)
        return
      }
      assert.equal(refusal(() => omni.baseString(...a)).code, want)
      assert.equal(refusal(() => new omni.Signer(c.secret).sign(...a)).code, want)
    })
  }
})

const GOOD = ['POST', 'https://h/api/v1/partner/x', 'ptnr_1', 1709024577000, Buffer.from('{}'),
  'str_1', 'stkn_1']
const FIELDS = { method: 0, url: 1, partnerClientId: 2, timestampMs: 3, body: 4, storeClientId: 5, storeToken: 6 }
function withField (name, value) {
  const a = GOOD.slice()
  a[FIELDS[name]] = value
  return a
}

test('errors are a hierarchy of Error subclasses with a code', () => {
  for (const C of [omni.InvalidInputError, omni.InvalidUtf8Error, omni.ArgumentTypeError,
    omni.VerificationError, omni.InvalidJsonError]) {
    assert.ok(C.prototype instanceof omni.OmniError)
  }
  assert.ok(omni.OmniError.prototype instanceof Error)
  assert.ok(omni.InvalidUtf8Error.prototype instanceof omni.InvalidInputError)
  assert.ok(omni.ArgumentTypeError.prototype instanceof omni.InvalidInputError)
  const e = new omni.VerificationError('why', 'OMNI_X')
  assert.deepEqual([e.name, e.code, e.message], ['VerificationError', 'OMNI_X', 'why'])
})

test('lone surrogates are refused as invalid UTF-8, never replaced', () => {
  const s = new omni.Signer('k')
  for (const name of ['method', 'url', 'partnerClientId', 'storeClientId', 'storeToken']) {
    for (const bad of ['\ud800', '\udfff', 'x\ud800y']) {
      const e = refusal(() => s.sign(...withField(name, GOOD[FIELDS[name]] + bad)))
      assert.equal(e.constructor, omni.InvalidUtf8Error, name)
      assert.equal(e.code, 'OMNI_INVALID_UTF8')
      assert.match(e.message, new RegExp(name))
    }
  }
  assert.equal(refusal(() => s.sign(...withField('body', '{"a":"\udc00"}'))).code, 'OMNI_INVALID_UTF8')
  assert.equal(refusal(() => new omni.Signer('key\ud800')).code, 'OMNI_INVALID_UTF8')
  assert.equal(refusal(() => omni.jsonStringify('"\ud800"')).code, 'OMNI_INVALID_UTF8')
  // A real U+FFFD and a surrogate pair are text like any other.
  for (const text of ['\ufffd', '😀', 'a\ufffdb😀']) {
    assert.equal(s.sign(...withField('body', text)), s.sign(...withField('body', Buffer.from(text))))
  }
  // Beyond the stack buffer too.
  const long = 'x'.repeat(5000)
  assert.equal(s.sign(...withField('body', long + '\ufffd')),
    s.sign(...withField('body', Buffer.from(long + '\ufffd'))))
  assert.equal(refusal(() => s.sign(...withField('body', long + '\ud800'))).code, 'OMNI_INVALID_UTF8')
})

test('an embedded NUL is refused by its field rule, never truncated', () => {
  const s = new omni.Signer('k')
  const want = { method: 'OMNI_INVALID_METHOD', url: 'OMNI_INVALID_URL', partnerClientId: 'OMNI_INVALID_HEADER_VALUE', storeClientId: 'OMNI_INVALID_HEADER_VALUE', storeToken: 'OMNI_INVALID_HEADER_VALUE' }
  for (const [name, code] of Object.entries(want)) {
    for (const tail of ['\0', '\0tail']) {
      const e = refusal(() => s.sign(...withField(name, GOOD[FIELDS[name]] + tail)))
      assert.deepEqual([e.constructor, e.code], [omni.InvalidInputError, code], name)
    }
  }
  // In a body or a secret a NUL is a byte like any other ("k\0" is the key "k" to HMAC).
  assert.notEqual(s.sign(...withField('body', '\0')), s.sign(...withField('body', '')))
  assert.notEqual(omni.sign('k\0x', ...GOOD), omni.sign('k', ...GOOD))
  assert.equal(refusal(() => omni.jsonStringify('{"a":1}\0')).code, 'OMNI_INVALID_JSON')
})

test('null and undefined for a required argument', () => {
  const s = new omni.Signer('k')
  for (const name of ['method', 'url', 'partnerClientId', 'timestampMs']) {
    for (const missing of [null, undefined]) {
      const e = refusal(() => s.sign(...withField(name, missing)))
      assert.deepEqual([e.constructor, e.code], [omni.ArgumentTypeError, 'OMNI_NULL_ARGUMENT'], name)
      assert.match(e.message, new RegExp(name))
    }
  }
  assert.equal(refusal(() => s.sign()).code, 'OMNI_NULL_ARGUMENT')
  assert.equal(refusal(() => new omni.Signer()).code, 'OMNI_NULL_ARGUMENT')
  assert.equal(refusal(() => omni.bodyHash(null)).code, 'OMNI_NULL_ARGUMENT')
  // Absent body and store pair.
  assert.equal(s.sign(GOOD[0], GOOD[1], GOOD[2], GOOD[3]), s.sign(GOOD[0], GOOD[1], GOOD[2], GOOD[3], null, null, null))
})

test('hostile calls throw typed errors', () => {
  const s = new omni.Signer('k')
  for (const secret of [5, {}, [], true, new Int32Array(2), Symbol('k')]) {
    assert.equal(refusal(() => new omni.Signer(secret)).constructor, omni.ArgumentTypeError)
    assert.equal(refusal(() => omni.sign(secret, ...GOOD)).constructor, omni.ArgumentTypeError)
  }
  for (const [name, value] of [['method', 1], ['url', ['/x']], ['partnerClientId', Buffer.from('p')],
    ['storeClientId', 7], ['storeToken', {}], ['body', 5], ['body', [1, 2]],
    ['body', new Float64Array(1)], ['body', new String('x')], ['timestampMs', '1'],
    ['timestampMs', {}], ['method', new String('GET')]]) {
    const e = refusal(() => s.sign(...withField(name, value)))
    assert.deepEqual([e.constructor, e.code], [omni.ArgumentTypeError, 'OMNI_INVALID_INPUT'], name)
  }
  for (const ts of [-1, 1.5, NaN, Infinity, -Infinity, 2 ** 53, -1n, 2n ** 63n, -(2n ** 70n)]) {
    const e = refusal(() => s.sign(...withField('timestampMs', ts)))
    assert.deepEqual([e.constructor, e.code], [omni.InvalidInputError, 'OMNI_INVALID_TIMESTAMP'], String(ts))
  }
  assert.equal(s.sign(...withField('timestampMs', 2 ** 53 - 1)), s.sign(...withField('timestampMs', 2n ** 53n - 1n)))
  assert.equal(refusal(() => omni.verify('k', ...GOOD.slice(0, 3), '1', 'sha256=00', null, null, null, 5)).code, 'OMNI_INVALID_INPUT')
  assert.equal(refusal(() => omni.verify('k', ...GOOD.slice(0, 3), '1', 'x', null, null, null, { nowMs: 'now' })).code, 'OMNI_INVALID_INPUT')
  assert.equal(refusal(() => omni.verify('k', ...GOOD.slice(0, 3), '1', 'x', null, null, null, { strict: 1 })).code, 'OMNI_INVALID_INPUT')
  assert.equal(refusal(() => omni.jsonStringify(5)).constructor, omni.ArgumentTypeError)
  assert.equal(refusal(() => s.sign(...GOOD, 'yes')).code, 'OMNI_INVALID_INPUT')
  assert.equal(s.sign(...GOOD, null), s.sign(...GOOD))
  // A getter that throws: its exception goes through untouched.
  const trap = { get nowMs () { throw new RangeError('trap') } }
  assert.throws(() => omni.verify('k', ...GOOD.slice(0, 3), '1', 'x', null, null, null, trap), RangeError)
})

test('huge bodies and long texts', () => {
  const s = new omni.Signer('k')
  const body = Buffer.alloc(64 << 20, 0x78)
  const sig = s.sign(...withField('body', body))
  assert.equal(sig, omni.sign('k', ...withField('body', new Uint8Array(body))))
  assert.notEqual(sig, s.sign(...withField('body', body.subarray(1))))
  assert.equal(omni.bodyHash(body), crypto.createHash('sha256').update(body).digest('hex'))
  const url = 'https://h/api/v1/partner/' + 'a'.repeat(10000)
  assert.equal(omni.baseString(...withField('url', url)).split('\n')[1], '/partner/' + 'a'.repeat(10000))
  const stringBody = 'é'.repeat(1 << 20)
  assert.equal(s.sign(...withField('body', stringBody)), s.sign(...withField('body', Buffer.from(stringBody))))
})

test('store pair rules', () => {
  assert.equal(refusal(() => omni.sign('k', ...withField('storeToken', null))).code, 'OMNI_STORE_TOKEN_MISSING')
  assert.equal(refusal(() => omni.sign('k', ...withField('storeClientId', undefined))).code, 'OMNI_STORE_CLIENT_ID_MISSING')
  // "" is an empty header value, not an absent one.
  const empty = GOOD.slice(0, 5).concat(['', ''])
  assert.equal(refusal(() => omni.sign('k', ...empty)).code, 'OMNI_INVALID_HEADER_VALUE')
})

test('verify statuses', () => {
  const sig = omni.sign('k', 'GET', '/api/v1/x', 'p', 1000000)
  const ok = ['k', 'GET', '/api/v1/x?q', 'p', '1000000', sig, null, null, null]
  omni.verify(...ok, { nowMs: 1300000 })
  omni.verify(...ok.slice(0, 4), 1000000, ...ok.slice(5), { nowMs: 1300000 })
  const change = (i, v) => { const a = ok.slice(); a[i] = v; return a }
  const cases = [
    [ok, { nowMs: 1300001 }, omni.VerificationError, 'OMNI_TIMESTAMP_OUTSIDE_WINDOW'],
    [ok, { nowMs: 1000001, toleranceMs: 0 }, omni.VerificationError, 'OMNI_TIMESTAMP_OUTSIDE_WINDOW'],
    [change(5, sig.slice(7)), { nowMs: 1000000, strict: true }, omni.VerificationError, 'OMNI_MALFORMED_SIGNATURE'],
    [change(5, 'sha256=zz'), { nowMs: 1000000 }, omni.VerificationError, 'OMNI_MALFORMED_SIGNATURE'],
    [change(6, 'x'), { nowMs: 1000000 }, omni.VerificationError, 'OMNI_SIGNATURE_MISMATCH'],
    [change(0, 'k2'), { nowMs: 1000000 }, omni.VerificationError, 'OMNI_SIGNATURE_MISMATCH'],
    [change(4, '01000000'), { nowMs: 1000000 }, omni.InvalidInputError, 'OMNI_MALFORMED_TIMESTAMP'],
    [change(4, '1000000\0'), { nowMs: 1000000 }, omni.InvalidInputError, 'OMNI_MALFORMED_TIMESTAMP'],
    [change(7, 's'), { nowMs: 1000000 }, omni.InvalidInputError, 'OMNI_STORE_TOKEN_MISSING'],
    [change(0, ''), { nowMs: 1000000 }, omni.InvalidInputError, 'OMNI_EMPTY_SECRET'],
    [ok, { nowMs: -1 }, omni.InvalidInputError, 'OMNI_INVALID_INPUT'],
    [change(5, null), {}, omni.ArgumentTypeError, 'OMNI_NULL_ARGUMENT']
  ]
  for (const [a, options, C, code] of cases) {
    const e = refusal(() => omni.verify(...a, options))
    assert.deepEqual([e.constructor, e.code], [C, code], JSON.stringify(options))
  }
  omni.verify(...change(5, sig.slice(7)), { nowMs: 1000000 })
})

test('jsonStringify', () => {
  assert.equal(omni.jsonStringify('{ "b": 1.0, "a": [1e21, -0] }'), '{"b":1,"a":[1e+21,0]}')
  assert.equal(omni.jsonStringify(Buffer.from('{"\\u00e9": "\\/"}')), '{"é":"/"}')
  const text = '{"z":[1,2.50,{"y":null}],"10":"x","é":"\\ud83d\\ude00"}'
  assert.equal(omni.jsonStringify(text), JSON.stringify(JSON.parse(text)))
  for (const [t, code] of [['{', 'OMNI_INVALID_JSON'], ['9007199254740993', 'OMNI_INVALID_JSON'],
    ['['.repeat(600) + ']'.repeat(600), 'OMNI_INVALID_JSON']]) {
    const e = refusal(() => omni.jsonStringify(t))
    assert.deepEqual([e.constructor, e.code], [omni.InvalidJsonError, code])
  }
})

test('a closed signer', () => {
  const s = new omni.Signer('k')
  s.close()
  s.close()
  const e = refusal(() => s.sign(...GOOD))
  assert.deepEqual([e.constructor, e.code], [omni.OmniError, 'OMNI_NULL_ARGUMENT'])
})

test('Signer methods refuse another this, and the class needs new', () => {
  const s = new omni.Signer('k')
  // A receiver that is not a Signer made by the class holds no signer functions: refused by
  // the addon with its own error class.
  const refused = (e) => e instanceof omni.ArgumentTypeError && e.code === 'OMNI_INVALID_INPUT'
  for (const other of [{}, null, undefined, 5, new (class Signer {})(), Object.create(omni.Signer.prototype)]) {
    assert.throws(() => omni.Signer.prototype.sign.call(other, ...GOOD), refused)
    assert.throws(() => omni.Signer.prototype.close.call(other), refused)
  }
  assert.equal(refusal(() => omni.Signer('k')).constructor, omni.ArgumentTypeError)
  assert.ok(s instanceof omni.Signer)
  assert.equal(typeof s.sign(...GOOD), 'string')
})

test('a Signer subclass, a method borrowed with call, and signers closed one by one', () => {
  const s = new omni.Signer('k')
  const want = s.sign(...GOOD)
  class Logged extends omni.Signer {
    sign (...a) { return 'logged:' + super.sign(...a) }
  }
  const l = new Logged('k')
  assert.ok(l instanceof omni.Signer)
  assert.equal(l.sign(...GOOD), 'logged:' + want)
  assert.equal(omni.Signer.prototype.sign.call(l, ...GOOD), want)
  assert.equal(Reflect.construct(omni.Signer, ['k'], Logged).sign(...GOOD), 'logged:' + want)
  const other = new omni.Signer('k2')
  assert.notEqual(other.sign(...GOOD), want)
  l.close()
  assert.equal(refusal(() => l.sign(...GOOD)).code, 'OMNI_NULL_ARGUMENT')
  assert.equal(s.sign(...GOOD), want)
  assert.deepEqual([Object.keys(s), JSON.stringify(s)], [[], '{}'])
  // Another object's this is refused by the addon itself, with the module's error class.
  for (const that of [{}, Object.create(omni.Signer.prototype), 5, null, undefined]) {
    for (const call of [() => omni.Signer.prototype.sign.call(that, ...GOOD),
      () => omni.Signer.prototype.close.call(that)]) {
      const e = refusal(call)
      assert.deepEqual([e.constructor, e.code], [omni.ArgumentTypeError, 'OMNI_INVALID_INPUT'])
    }
  }
  // An object whose prototype is a signer signs as that signer, as any inherited method would.
  assert.equal(Object.create(s).sign(...GOOD), want)
})

test('a signer\'s state lives as long as any of its functions, and is freed after', () => {
  const v8 = require('node:v8')
  const vm = require('node:vm')
  v8.setFlagsFromString('--expose-gc')
  const gc = vm.runInNewContext('gc')
  let s = new omni.Signer('k')
  const want = s.sign(...GOOD)
  // The native functions a signer holds (under symbol keys), kept after the signer is gone.
  const [sign, close] = Object.getOwnPropertySymbols(s).map((k) => s[k])
  s = null
  for (let i = 0; i < 2000; i++) new omni.Signer('k' + i).sign(...GOOD)
  gc()
  assert.equal(sign(...GOOD), want)
  close()
  assert.equal(refusal(() => sign(...GOOD)).code, 'OMNI_NULL_ARGUMENT')
  gc()
})

test('secrets are not shown', () => {
  const e = refusal(() => omni.sign('partner-secret-xyz', ...withField('storeToken', 'stkn_secret\n')))
  assert.ok(!e.message.includes('stkn_secret') && !e.message.includes('partner-secret-xyz'))
  assert.ok(!require('node:util').inspect(new omni.Signer('partner-secret-xyz')).includes('xyz'))
})

test('each worker thread builds its own signer from the same key and gets identical results', async () => {
  const requests = Array.from({ length: 50 }, (_, i) =>
    ['POST', 'https://h/api/v1/partner/x', 'ptnr_1', 1709024577000 + i, 'x'.repeat(i * 7), 'str_1', 'stkn_1'])
  const signer = new omni.Signer('k')
  const want = requests.map((r) => signer.sign(...r))
  const source = `
    const { parentPort, workerData } = require('node:worker_threads')
    const omni = require(workerData.module)
    const signer = new omni.Signer(workerData.key)
    const out = []
    for (let round = 0; round < 20; round++) out.push(workerData.requests.map((r) => signer.sign(...r)))
    let code
    try { signer.sign('get', '/x', 'p', 1) } catch (e) { code = e instanceof omni.InvalidInputError && e.code }
    parentPort.postMessage({ out, code })`
  const runs = Array.from({ length: 4 }, () => new Promise((resolve, reject) => {
    const w = new Worker(source, { eval: true, workerData: { module: path.join(__dirname, '..'), key: 'k', requests } })
    w.once('message', resolve)
    w.once('error', reject)
  }))
  for (const { out, code } of await Promise.all(runs)) {
    assert.equal(out.length, 20)
    for (const round of out) assert.deepEqual(round, want)
    assert.equal(code, 'OMNI_INVALID_METHOD')
  }
})

test('constants', () => {
  assert.equal(omni.DEFAULT_TOLERANCE_MS, 300000)
})

function receivedHeaders (c, signature) {
  const headers = [['x-partner-client-id', c.partner_client_id], ['x-timestamp', String(c.timestamp_ms)], ['x-signature', signature]]
  if (c.store_client_id !== null) headers.push(['x-store-client-id', c.store_client_id], ['x-store-token', c.store_token])
  return headers
}

test('diagnose accepts every case of signing.json', () => {
  for (const c of doc.cases) {
    const v = omni.diagnose(c.secret, c.method, c.url, receivedHeaders(c, c.expect.signature),
      Buffer.from(c.body_hex, 'hex'), { nowMs: c.timestamp_ms, strict: true })
    assert.deepEqual([v.version, v.accepted], [1, true], c.name)
  }
})

test('diagnose names the pitfall and never shows the store token', () => {
  // A client that kept /api/v1 on the path signed what our signer signs for /api/v1 twice.
  let sig = omni.sign('k', 'GET', 'https://h/api/v1/api/v1/partner/x', 'p', 1000)
  let v = omni.diagnose('k', 'GET', 'https://h/api/v1/partner/x',
    { 'x-partner-client-id': 'p', 'x-timestamp': '1000', 'x-signature': sig }, null, { nowMs: 1000 })
  assert.deepEqual([v.accepted, v.check], [false, 'signature_mismatch'])
  assert.equal(v.combinations[0].pitfalls[0].name, 'api-v1-not-stripped')
  sig = omni.sign('k', 'POST', '/api/v1/x', 'p', 1000, '{}', 's', 'stkn_secret')
  v = omni.diagnose('k', 'POST', '/api/v1/x', [['x-partner-client-id', 'p'], ['x-timestamp', '1000'],
    ['x-signature', sig], ['x-store-client-id', 's'], ['x-store-token', 'stkn_secret']], '{}', { nowMs: 301001 })
  assert.equal(v.check, 'timestamp_outside_window')
  assert.ok(!JSON.stringify(v).includes('stkn_secret'))
  v = omni.diagnose('k', 'GET', '/x', [['x-timestamp', '1']], null, { nowMs: 1 })
  assert.deepEqual([v.accepted, v.check], [false, 'missing_header'])
})

test('diagnose refusals', () => {
  const good = ['k', 'GET', '/x', [['x-timestamp', '1']], null, { nowMs: 1 }]
  const change = (i, x) => { const a = good.slice(); a[i] = x; return a }
  for (const [args, C, code] of [
    [change(0, ''), omni.InvalidInputError, 'OMNI_EMPTY_SECRET'],
    [change(5, { nowMs: -1 }), omni.InvalidInputError, 'OMNI_INVALID_INPUT'],
    [change(3, null), omni.ArgumentTypeError, 'OMNI_NULL_ARGUMENT'],
    [change(3, 5), omni.ArgumentTypeError, 'OMNI_INVALID_INPUT'],
    [change(3, [['a', 'b', 'c']]), omni.ArgumentTypeError, 'OMNI_INVALID_INPUT'],
    [change(3, [['x-timestamp', '\ud800']]), omni.InvalidUtf8Error, 'OMNI_INVALID_UTF8'],
    [change(1, undefined), omni.ArgumentTypeError, 'OMNI_NULL_ARGUMENT']]) {
    const e = refusal(() => omni.diagnose(...args))
    assert.deepEqual([e.constructor, e.code], [C, code], JSON.stringify(args))
  }
})
