<?php
/**
 * Tests of the PHP FFI wrapper against every case of tests/vectors/signing.json and bad inputs:
 *   OMNI_LIB=... OMNI_PHP_HEADER=... php -d ffi.enable=1 bindings/php/tests/run.php tests/vectors/signing.json
 * Prints "N passed, M failed" and exits 1 when anything failed.
 */

declare(strict_types=1);

require __DIR__ . '/../src/Omni.php';

use Omni\Omni;
use Omni\OmniException;

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
/** omni_sign::Error::kind() -> omni_status. */
function kind_status(string $kind): int
{
    return match ($kind) {
        'timestamp_outside_window' => Omni::TIMESTAMP_OUTSIDE_WINDOW,
        'malformed_signature' => Omni::MALFORMED_SIGNATURE,
        'signature_mismatch' => Omni::SIGNATURE_MISMATCH,
        default => Omni::INVALID_INPUT,
    };
}

$omni = Omni::load();
check($omni->version() === Omni::EXPECTED_VERSION, 'version ' . $omni->version());

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
    $st = status_of(fn () => $omni->sign($c['secret'], $c['method'], $c['url'], $c['partner_client_id'], $c['timestamp_ms'], hex2bin($c['body_hex']), $c['store_client_id'], $c['store_token']));
    check($st === kind_status($c['expect_error']), "{$c['name']} ({$c['expect_error']}): status $st");
}

// Bad inputs.
check(status_of(fn () => $omni->sign('', 'GET', '/', 'p', 1)) === Omni::INVALID_INPUT, 'empty secret');
check(status_of(fn () => $omni->signer('')) === Omni::INVALID_INPUT, 'empty secret signer');
$len = FFI::new('size_t');
check($omni->ffi->omni_sign(null, 0, 'GET', '/', 'p', null, null, 1, null, 0, null, 0, FFI::addr($len)) === Omni::NULL_ARGUMENT, 'NULL secret');
check(status_of(fn () => $omni->sign('k', 'GET', '/', 'p', 1, '', 's')) === Omni::INVALID_INPUT, 'store id without token');
check(status_of(fn () => $omni->sign('k', 'GET', '/', "p\nx-timestamp:1", 1)) === Omni::INVALID_INPUT, 'newline in header');
check(status_of(fn () => $omni->sign('k', 'GET', '/', "p\0", 1)) === Omni::INVALID_INPUT, 'NUL in header');
check(status_of(fn () => $omni->sign('k', 'GET', '/', "\xff", 1)) === Omni::INVALID_UTF8, 'invalid UTF-8');
check(status_of(fn () => $omni->sign('k', 'GET', '/', 'p', -1)) === Omni::INVALID_INPUT, 'negative timestamp');
check($omni->sign('k', 'GET', '/', 'p', 1, '', '', '') === $omni->sign('k', 'GET', '/', 'p', 1), 'empty store pair is absent');
$small = FFI::new('char[71]');
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
$s = $omni->signer('k');
$s->close();
$s->close();
check(status_of(fn () => $s->sign('GET', '/', 'p', 1)) === Omni::NULL_ARGUMENT, 'closed signer');

// JSON.stringify form (`json-stringify-form`): what json_encode writes is re-written as JavaScript would.
check($omni->jsonStringify(json_encode(['b' => 1.0, 'a' => [1e21, -0.0, "\u{e9}"]])) === "{\"b\":1,\"a\":[1e+21,0,\"\u{e9}\"]}", 'json_stringify');
check(status_of(fn () => $omni->jsonStringify('{')) === Omni::INVALID_JSON, 'json_stringify bad JSON');
check(status_of(fn () => $omni->jsonStringify('9007199254740993')) === Omni::INVALID_JSON, 'json_stringify inexact integer');

echo "vectors: " . count($doc['cases']) . " cases, " . count($doc['error_cases']) . " error cases\n";
echo "$passed passed, $failed failed\n";
exit($failed === 0 ? 0 : 1);
