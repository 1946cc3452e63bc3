<?php
/**
 * Times signing one 200 B-body request N times through libomni (a reusable Signer) and through
 * PHP's own hash_hmac building the same base string. Run by bindings/bench.sh; prints
 * "php<TAB>way<TAB>ns per signature" lines.
 */

declare(strict_types=1);

require __DIR__ . '/src/autoload.php';

const SECRET = 'partner-secret-key';
const URL = 'https://partners-api.tocobagus.net/api/v1/partner/stores/catalog/sync';
const PARTNER = 'ptnr_1s4UqMnO64';
const STORE = 'str_TGIxyboe7-Rz';
const TOKEN = 'stkn_1G_R3r_5QTvwr_0O';
const TS = 1709024577000;

/** `path-rules` for the URLs this benchmark sends. */
function signed_path(string $url): string
{
    $i = strpos($url, '://');
    if ($i !== false) {
        $j = strpos($url, '/', $i + 3);
        $url = $j === false ? '/' : substr($url, $j);
    }
    $url = strtok($url, '?#') ?: '/';
    if ($url === '/api/v1') {
        return '/';
    }
    return str_starts_with($url, '/api/v1/') ? substr($url, 7) : $url;
}

function native_sign(string $secret, string $method, string $url, int $ts, string $body): string
{
    $base = "$method\n" . signed_path($url) . "\nx-partner-client-id:" . PARTNER . "\nx-store-client-id:" . STORE
        . "\nx-store-token:" . TOKEN . "\nx-timestamp:$ts\n" . hash('sha256', $body);
    return 'sha256=' . hash_hmac('sha256', $base, $secret);
}

$n = (int) ($argv[1] ?? 100000);
$prefix = '{"storeId":"str_TGIxyboe7-Rz","note":"';
$body = $prefix . str_repeat('a', 200 - strlen($prefix) - 2) . '"}';
$omni = Omni\Omni::load();
$signer = $omni->signer(SECRET);
$want = $signer->sign('POST', URL, PARTNER, TS, $body, STORE, TOKEN);
if (native_sign(SECRET, 'POST', URL, TS, $body) !== $want) {
    fwrite(STDERR, "hash_hmac signs differently from libomni\n");
    exit(1);
}
$results = [];
for ($round = 0; $round < 2; $round++) { // round 0 warms up
    $start = hrtime(true);
    for ($i = 0; $i < $n; $i++) {
        $signer->sign('POST', URL, PARTNER, TS + $i, $body, STORE, TOKEN);
    }
    $results['libomni'] = (hrtime(true) - $start) / $n;
    $start = hrtime(true);
    for ($i = 0; $i < $n; $i++) {
        native_sign(SECRET, 'POST', URL, TS + $i, $body);
    }
    $results['native'] = (hrtime(true) - $start) / $n;
}
foreach ($results as $way => $ns) {
    printf("php\t%s\t%.0f\n", $way, $ns);
}
