<?php
/**
 * Tests of the PHP FFI wrapper against every case of tests/vectors/signing.json and bad inputs:
 *   OMNI_LIB=... OMNI_PHP_HEADER=... php -d ffi.enable=1 bindings/php/tests/run.php tests/vectors/signing.json
 * Prints "N passed, M failed" and exits 1 when anything failed.
 */

declare(strict_types=1);

use Omni\Omni;
use Omni\OmniException;

// Under Composer the autoloader is registered already; in a source checkout, src/autoload.php.
if (!class_exists(Omni::class)) {
    require __DIR__ . '/../src/autoload.php';
}

$passed = 0;
$failed = 0;
function check(bool $ok, string $what): void
{
    global $passed, $failed;
    if ($ok) {
        $passed++;
    } else {
        $failed++;
        fwrite(STDERR, "FAIL $what\n");
    }
}
function status_of(callable $f): int
{
    try {
        $f();
        return Omni::OK;
    } catch (OmniException $e) {
        return $e->status;
    }
}
/** The name of the status libomni answers for an omni_sign::Error::kind(): OMNI_ and the kind in upper case. */
function kind_status_name(string $kind): string
{
    return 'OMNI_' . strtoupper($kind);
}

// OMNI_FFI_SCOPE: libomni as preload.php loaded it (ffi.enable=preload), else FFI::cdef.
$scope = getenv('OMNI_FFI_SCOPE');
$omni = $scope !== false && $scope !== '' ? Omni::fromScope($scope) : Omni::load();
check(Omni::versionAccepted($omni->version(), Omni::HEADER_VERSION_MAJOR, Omni::HEADER_VERSION_MINOR), 'version ' . $omni->version());
foreach ([['0.1.0', 0, 1, true], ['0.1.5', 0, 1, true], ['0.2.0', 0, 1, true], ['1.0.0', 0, 1, false], ['0.0.9', 0, 1, false], ['0.1.0', 0, 2, false], ['1.3.0', 1, 2, true], ['2.0.0', 1, 2, false], ['x', 0, 1, false], ['0', 0, 1, false]] as [$v, $major, $minor, $want]) {
    check(Omni::versionAccepted($v, $major, $minor) === $want, "versionAccepted($v, $major.$minor)");
}

$doc = json_decode((string) file_get_contents($argv[1] ?? __DIR__ . '/../../../tests/vectors/signing.json'), true, 512, JSON_THROW_ON_ERROR);
check($doc['version'] === 1 && count($doc['cases']) > 0 && count($doc['error_cases']) > 0, 'vector file');

foreach ($doc['cases'] as $c) {
    $n = $c['name'];
    $body = hex2bin($c['body_hex']);
    $a = [$c['method'], $c['url'], $c['partner_client_id'], $c['timestamp_ms'], $body, $c['store_client_id'], $c['store_token']];
    $e = $c['expect'];
    check($omni->sign($c['secret'], ...$a) === $e['signature'], "$n: sign");
    check($omni->baseString(...$a) === $e['base_string'], "$n: base string");
    check($omni->bodyHash($body) === $e['body_hash'], "$n: body hash");
    $signer = $omni->signer($c['secret']);
    check($signer->sign(...$a) === $e['signature'], "$n: signer");
    check($signer->sign(...[...$a, true]) === substr($e['signature'], 7), "$n: bare hex");
    $signer->close();
    check(status_of(fn () => $omni->verify($c['secret'], $c['method'], $c['url'], $c['partner_client_id'], (string) $c['timestamp_ms'], $e['signature'], $body, $c['store_client_id'], $c['store_token'], $c['timestamp_ms'], Omni::DEFAULT_TOLERANCE_MS, true)) === Omni::OK, "$n: verify");
}
foreach ($doc['error_cases'] as $c) {
    try {
        $omni->sign($c['secret'], $c['method'], $c['url'], $c['partner_client_id'], $c['timestamp_ms'], hex2bin($c['body_hex']), $c['store_client_id'], $c['store_token']);
        check(false, "{$c['name']}: signed");
    } catch (OmniException $e) {
        $want = kind_status_name($c['expect_error']);
        check($e->statusName === $want && $e->getMessage() === "$want: " . $omni->ffi->omni_status_str($e->status), "{$c['name']}: {$e->getMessage()}, want $want");
    }
}

// Bad inputs.
check(status_of(fn () => $omni->sign('', 'GET', '/', 'p', 1)) === Omni::EMPTY_SECRET, 'empty secret');
check(status_of(fn () => $omni->signer('')) === Omni::EMPTY_SECRET, 'empty secret signer');
$len = $omni->ffi->new('size_t');
check($omni->ffi->omni_sign(null, 0, 'GET', '/', 'p', null, null, 1, null, 0, null, 0, FFI::addr($len)) === Omni::NULL_ARGUMENT, 'NULL secret');
check(status_of(fn () => $omni->sign('k', 'GET', '/', 'p', 1, '', 's')) === Omni::STORE_TOKEN_MISSING, 'store id without token');
check(status_of(fn () => $omni->sign('k', 'GET', '/', 'p', 1, '', null, 't')) === Omni::STORE_CLIENT_ID_MISSING, 'token without store id');
check(status_of(fn () => $omni->sign('k', 'GET', '/', 'p', 1, '', 's', '')) === Omni::INVALID_HEADER_VALUE, 'empty token beside a store id');
check(status_of(fn () => $omni->sign('k', 'GET', '/', "p\nx-timestamp:1", 1)) === Omni::INVALID_HEADER_VALUE, 'newline in header');
check(status_of(fn () => $omni->sign('k', 'GET', '/', "p\0", 1)) === Omni::INVALID_HEADER_VALUE, 'NUL in header');
check(status_of(fn () => $omni->sign('k', 'GET', "/\0", 'p', 1)) === Omni::INVALID_URL, 'NUL in URL');
check(status_of(fn () => $omni->sign('k', 'get', '/', 'p', 1)) === Omni::INVALID_METHOD, 'lowercase method');
check(status_of(fn () => $omni->sign('k', 'GET', '/', "\xff", 1)) === Omni::INVALID_UTF8, 'invalid UTF-8');
check(status_of(fn () => $omni->sign('k', 'GET', '/', 'p', -1)) === Omni::INVALID_TIMESTAMP, 'negative timestamp');
try {
    $omni->sign('k', 'GET', '/', 'p', 1, '', 's');
} catch (OmniException $e) {
    check($e->statusName === 'OMNI_STORE_TOKEN_MISSING' && $e->getMessage() === 'OMNI_STORE_TOKEN_MISSING: x-store-client-id is present without x-store-token', 'exception text ' . $e->getMessage());
}
check($omni->sign('k', 'GET', '/', 'p', 1, '', '', '') === $omni->sign('k', 'GET', '/', 'p', 1), 'empty store pair is absent');
$small = $omni->ffi->new('char[71]');
$small[0] = 'x';
$st = $omni->ffi->omni_sign('k', 1, 'GET', '/', 'p', null, null, 1, null, 0, $small, 71, FFI::addr($len));
check($st === Omni::BUFFER_TOO_SMALL && $len->cdata === 71 && $small[0] === "\0", "small buffer $st");
$st = $omni->ffi->omni_sign('k', 1, 'GET', '/', 'p', null, null, 1, null, 0, null, 0, FFI::addr($len));
check($st === Omni::BUFFER_TOO_SMALL && $len->cdata === 71, "size query $st");

$sig = $omni->sign('k', 'GET', '/api/v1/x', 'p', 1000000);
check(status_of(fn () => $omni->verify('k', 'GET', '/api/v1/x?q', 'p', '1000000', $sig, '', null, null, 1300000)) === Omni::OK, 'verify boundary');
check(status_of(fn () => $omni->verify('k', 'GET', '/api/v1/x?q', 'p', '1000000', $sig, '', null, null, 1300001)) === Omni::TIMESTAMP_OUTSIDE_WINDOW, 'verify outside');
check(status_of(fn () => $omni->verify('k', 'GET', '/api/v1/x', 'p', '1000000', substr($sig, 7), '', null, null, 1000000, strict: true)) === Omni::MALFORMED_SIGNATURE, 'strict bare hex');
check(status_of(fn () => $omni->verify('k', 'GET', '/api/v1/x', 'p', '1000000', $sig, 'x', null, null, 1000000)) === Omni::SIGNATURE_MISMATCH, 'other body');
check(status_of(fn () => $omni->verify('k', 'GET', '/api/v1/x', 'p', '01000000', $sig, '', null, null, 1000000)) === Omni::MALFORMED_TIMESTAMP, 'malformed timestamp');
check(status_of(fn () => $omni->verify('k', 'GET', '/api/v1/x', 'p', '1000000', $sig, '', null, null, -1)) === Omni::INVALID_INPUT, 'negative clock');
// A NUL in each string argument of a reusable signer, refused with the status of the rule it
// breaks (Signer::sign checks them inline, Omni::text names the status).
$s = $omni->signer('k');
check(status_of(fn () => $s->sign("GE\0T", '/', 'p', 1)) === Omni::INVALID_METHOD, 'signer: NUL in method');
check(status_of(fn () => $s->sign('GET', "/\0", 'p', 1)) === Omni::INVALID_URL, 'signer: NUL in URL');
check(status_of(fn () => $s->sign('GET', '/', "p\0", 1)) === Omni::INVALID_HEADER_VALUE, 'signer: NUL in partner id');
check(status_of(fn () => $s->sign('GET', '/', 'p', 1, '', "s\0", 't')) === Omni::INVALID_HEADER_VALUE, 'signer: NUL in store id');
check(status_of(fn () => $s->sign('GET', '/', 'p', 1, '', 's', "t\0")) === Omni::INVALID_HEADER_VALUE, 'signer: NUL in store token');
check(status_of(fn () => $s->sign('GET', '/', 'p', 1, "\0", 's', 't')) === Omni::OK, 'signer: NUL in the body is data');
$s->close();
$s->close();
check(status_of(fn () => $s->sign('GET', '/', 'p', 1)) === Omni::NULL_ARGUMENT, 'closed signer');

// diagnose, on the cases of `omni verify`'s tests that libomni's own signer can produce.
$dk = 'partner-secret-key';
$dts = 1709024577000;
$dnow = 1709024580000;
$dsign = function (string $url, int $ts, string $body, bool $bare) use ($omni, $dk): string {
    return $omni->signer($dk)->sign('GET', $url, 'ptnr_1', $ts, $body, null, null, $bare);
};
$dcases = [
    // name, signed url, signed ts, signed body, bare, url, body, store, with ts, strict, check, first pitfall
    ['accepted', 'https://h/api/v1/partner/x?page=2', $dts, '', false, 'https://h/api/v1/partner/x?page=2', '', false, true, false, null, null],
    ['accepted with a body', '/partner/x', $dts, '{"a":1}', false, '/partner/x', '{"a":1}', false, true, false, null, null],
    ['bare hex, lenient', '/partner/x', $dts, '', true, '/partner/x', '', false, true, false, null, null],
    ['pretty hashed, minified sent', '/partner/x', $dts, "{\n  \"a\": 1\n}", false, '/partner/x', '{"a":1}', false, true, false, 'signature_mismatch', 'pretty-vs-minified-body'],
    ['api/v1 kept', '/api/v1/api/v1/partner/x', $dts, '', false, '/api/v1/partner/x', '', false, true, false, 'signature_mismatch', 'api-v1-not-stripped'],
    ['store headers left out', '/partner/stores/catalog/1', $dts, '', false, '/partner/stores/catalog/1', '', true, true, false, 'signature_mismatch', 'store-headers-left-out'],
    ['stale', '/partner/x', 1709024000000, '', false, '/partner/x', '', false, true, false, 'timestamp_outside_window', 'stale-timestamp'],
    ['bare hex, strict', '/partner/x', $dts, '', true, '/partner/x', '', false, true, true, 'malformed_signature', 'bare-hex-under-strict'],
    ['missing x-timestamp', '/partner/x', $dts, '', false, '/partner/x', '', false, false, false, 'missing_header', null],
    ['another request', '/partner/x', $dts, '', false, '/partner/y', '', false, true, false, 'signature_mismatch', null],
];
foreach ($dcases as [$n, $surl, $sts, $sbody, $bare, $url, $body, $store, $withTs, $strict, $check, $pitfall]) {
    $headers = [['x-partner-client-id', 'ptnr_1'], ['X-Signature', $dsign($surl, $sts, $sbody, $bare)]];
    if ($withTs) {
        $headers[] = ['x-timestamp', (string) $sts];
    }
    if ($store) {
        array_push($headers, ['x-store-client-id', 'str_1'], ['x-store-token', 'stkn_very_secret']);
    }
    $v = $omni->diagnose($dk, 'GET', $url, $headers, $body, $dnow, strict: $strict);
    check($v['version'] === 1 && $v['accepted'] === ($check === null) && $v['check'] === $check, "diagnose $n: check " . json_encode($v['check']));
    check(($v['combinations'][0]['pitfalls'][0]['name'] ?? null) === $pitfall, "diagnose $n: pitfall " . json_encode($v['combinations']));
    check(!str_contains(json_encode($v), 'stkn_very_secret'), "diagnose $n: the store token shows");
}
check(status_of(fn () => $omni->diagnose('', 'GET', '/', [], '', $dnow)) === Omni::EMPTY_SECRET, 'diagnose empty secret');
check(status_of(fn () => $omni->diagnose($dk, 'GET', '/', [], '', -1)) === Omni::INVALID_INPUT, 'diagnose negative clock');
check(status_of(fn () => $omni->diagnose($dk, 'GET', '/', [['x-a', "\0"]], '', $dnow)) === Omni::INVALID_INPUT, 'diagnose NUL in a header');

// JSON.stringify form (`json-stringify-form`): what json_encode writes is re-written as JavaScript would.
check($omni->jsonStringify(json_encode(['b' => 1.0, 'a' => [1e21, -0.0, "\u{e9}"]])) === "{\"b\":1,\"a\":[1e+21,0,\"\u{e9}\"]}", 'json_stringify');
check(status_of(fn () => $omni->jsonStringify('{')) === Omni::INVALID_JSON, 'json_stringify bad JSON');
check(status_of(fn () => $omni->jsonStringify('9007199254740993')) === Omni::INVALID_JSON, 'json_stringify inexact integer');

echo "vectors: " . count($doc['cases']) . " cases, " . count($doc['error_cases']) . " error cases\n";
echo "$passed passed, $failed failed\n";
exit($failed === 0 ? 0 : 1);
