<?php
/**
 * libomni from PHP through FFI: Omni Partner API request signing by the same code as Rust.
 *
 *   require 'bindings/php/src/Omni.php';
 *   $omni = Omni\Omni::load();                      // OMNI_LIB / OMNI_PHP_HEADER or defaults
 *   $signer = $omni->signer('partner-secret');
 *   $sig = $signer->sign('POST', 'https://h/api/v1/partner/x', 'ptnr_1', 1709024577000, '{}');
 *
 * Needs php-cli's FFI (`php -d ffi.enable=1`). FFI::cdef reads include/omni_php.h, the
 * declaration-only header generated beside include/omni.h. Errors throw Omni\OmniException
 * carrying the omni_status code, its name (`OMNI_STORE_TOKEN_MISSING`: a refusal by a signing
 * rule is named after the rule) and libomni's sentence for it.
 *
 * Accepts any libomni of the same major version whose minor version is at least
 * Omni::HEADER_VERSION_MINOR (a minor release only adds symbols and statuses).
 */

declare(strict_types=1);

namespace Omni;

final class OmniException extends \RuntimeException
{
    /**
     * @param int $status the omni_status code
     * @param string $statusName its C name, e.g. OMNI_STORE_TOKEN_MISSING
     * @param string $text libomni's sentence for it
     */
    public function __construct(public readonly int $status, public readonly string $statusName, public readonly string $text)
    {
        parent::__construct("$statusName: $text", $status);
    }
}

final class Omni
{
    // The version of include/omni_php.h this class is written for.
    public const HEADER_VERSION_MAJOR = 0;
    public const HEADER_VERSION_MINOR = 1;
    public const DEFAULT_TOLERANCE_MS = 300000;
    // The version of libomni's verdict JSON (omni_diagnose) this class reads.
    public const VERDICT_VERSION = 1;

    // omni_status (include/omni.h): appended, never renumbered.
    public const OK = 0;
    public const NULL_ARGUMENT = 1;
    public const INVALID_UTF8 = 2;
    public const BUFFER_TOO_SMALL = 3;
    public const INVALID_INPUT = 4;
    public const TIMESTAMP_OUTSIDE_WINDOW = 5;
    public const MALFORMED_SIGNATURE = 6;
    public const SIGNATURE_MISMATCH = 7;
    public const PANIC = 8;
    public const INVALID_JSON = 9;
    public const EMPTY_SECRET = 10;
    public const INVALID_METHOD = 11;
    public const INVALID_URL = 12;
    public const INVALID_HEADER_VALUE = 13;
    public const DUPLICATE_HEADER = 14;
    public const STORE_TOKEN_MISSING = 15;
    public const STORE_CLIENT_ID_MISSING = 16;
    public const MISSING_HEADER = 17;
    public const MALFORMED_TIMESTAMP = 18;
    public const MALFORMED_BODY_HASH = 19;
    public const INVALID_TIMESTAMP = 20;

    // The header's #define constants, which FFI::cdef cannot read.
    public const SIGNATURE_BUFFER_SIZE = 72;
    public const SIGN_BARE_HEX = 1;
    public const VERIFY_STRICT = 1;

    private function __construct(public readonly \FFI $ffi)
    {
    }

    /** Loads libomni and checks its version. */
    public static function load(?string $library = null, ?string $header = null): self
    {
        $library ??= getenv('OMNI_LIB') ?: 'libomni.so.0';
        $header ??= getenv('OMNI_PHP_HEADER') ?: __DIR__ . '/../../../include/omni_php.h';
        $omni = new self(\FFI::cdef((string) file_get_contents($header), $library));
        $found = $omni->version();
        if (!self::versionAccepted($found, self::HEADER_VERSION_MAJOR, self::HEADER_VERSION_MINOR)) {
            throw new \RuntimeException(sprintf('libomni %s loaded, this class needs %d.%d or a later %d.x', $found, self::HEADER_VERSION_MAJOR, self::HEADER_VERSION_MINOR, self::HEADER_VERSION_MAJOR));
        }
        return $omni;
    }

    /**
     * Whether a libomni of version $found serves a header of version $major.$minor: the same
     * major and at least the header's minor, since a minor release only adds symbols and
     * statuses (while the major is 0, 0.y accepts 0.y' for y' >= y, never 1.x).
     */
    public static function versionAccepted(string $found, int $major, int $minor): bool
    {
        if (preg_match('/^(\d+)\.(\d+)(\.|$)/', $found, $m) !== 1) {
            return false;
        }
        return (int) $m[1] === $major && (int) $m[2] >= $minor;
    }

    public function version(): string
    {
        return $this->ffi->omni_version();
    }

    /** @internal */
    public function check(int $status): void
    {
        if ($status !== self::OK) {
            throw $this->error($status);
        }
    }

    /** The exception for a status, named and described by libomni. */
    public function error(int $status): OmniException
    {
        return new OmniException($status, $this->ffi->omni_status_name($status), $this->ffi->omni_status_str($status));
    }

    /**
     * @internal A C string cannot hold a NUL; every signing rule refuses one, so such a value
     * is refused before the call with the status of the rule for that argument.
     */
    public function text(?string $value, int $ifNul = self::INVALID_HEADER_VALUE): ?string
    {
        if ($value !== null && str_contains($value, "\0")) {
            throw $this->error($ifNul);
        }
        return $value;
    }

    /** @internal The request's strings, checked, in the order of omni_request. */
    public function requestTexts(string $method, string $url, string $partnerClientId, ?string $storeClientId, ?string $storeToken): array
    {
        return [$this->text($method, self::INVALID_METHOD), $this->text($url, self::INVALID_URL), $this->text($partnerClientId), $this->text($storeClientId), $this->text($storeToken)];
    }

    /** Runs $call($out, $cap, $len), growing the buffer once when libomni asks for more. */
    private function withBuffer(int $cap, callable $call): string
    {
        $len = \FFI::new('size_t');
        $out = \FFI::new("char[$cap]");
        $status = $call($out, $cap, \FFI::addr($len));
        if ($status === self::BUFFER_TOO_SMALL) {
            $cap = $len->cdata + 1;
            $out = \FFI::new("char[$cap]");
            $status = $call($out, $cap, \FFI::addr($len));
        }
        $this->check($status);
        return \FFI::string($out, $len->cdata);
    }

    /** x-signature (`sha256=<hex>`) of one request with a one-off key. */
    public function sign(string $secret, string $method, string $url, string $partnerClientId, int $timestampMs, string $body = '', ?string $storeClientId = null, ?string $storeToken = null): string
    {
        $a = $this->requestTexts($method, $url, $partnerClientId, $storeClientId, $storeToken);
        return $this->withBuffer(self::SIGNATURE_BUFFER_SIZE, fn ($out, $cap, $len) => $this->ffi->omni_sign($secret, strlen($secret), ...$a, ...[$timestampMs, $body, strlen($body), $out, $cap, $len]));
    }

    /** The exact base string signed for the request; it holds the store token. */
    public function baseString(string $method, string $url, string $partnerClientId, int $timestampMs, string $body = '', ?string $storeClientId = null, ?string $storeToken = null): string
    {
        $a = $this->requestTexts($method, $url, $partnerClientId, $storeClientId, $storeToken);
        return $this->withBuffer(256, fn ($out, $cap, $len) => $this->ffi->omni_base_string(...$a, ...[$timestampMs, $body, strlen($body), $out, $cap, $len]));
    }

    /** Lowercase hex SHA-256 of the body. */
    public function bodyHash(string $body): string
    {
        return $this->withBuffer(65, fn ($out, $cap, $len) => $this->ffi->omni_body_hash($body, strlen($body), $out, $cap, $len));
    }

    /**
     * Verifies a received request as a server does; returns when accepted, throws an
     * OmniException whose status says which check failed.
     */
    public function verify(string $secret, string $method, string $url, string $partnerClientId, string $timestamp, string $signature, string $body = '', ?string $storeClientId = null, ?string $storeToken = null, ?int $nowMs = null, int $toleranceMs = self::DEFAULT_TOLERANCE_MS, bool $strict = false): void
    {
        $nowMs ??= (int) floor(microtime(true) * 1000);
        $this->check($this->ffi->omni_verify($secret, strlen($secret), ...[...$this->requestTexts($method, $url, $partnerClientId, $storeClientId, $storeToken), $this->text($timestamp, self::MALFORMED_TIMESTAMP), $this->text($signature, self::MALFORMED_SIGNATURE), $body, strlen($body), $nowMs, $toleranceMs, $strict ? self::VERIFY_STRICT : 0]));
    }

    /** Re-writes a JSON text as JavaScript's JSON.stringify(JSON.parse(text)), e.g. json_encode output. */
    public function jsonStringify(string $json): string
    {
        return $this->withBuffer(strlen($json) + 1, fn ($out, $cap, $len) => $this->ffi->omni_json_stringify($json, strlen($json), $out, $cap, $len));
    }

    /**
     * Verifies a received request as the server would and, for a rejection, names the pitfalls
     * that reproduce its signature: libomni's verdict JSON (version 1), decoded.
     *
     * $headers: every header as received, in order, as [name, value] pairs (case and repeats
     * matter, so not a map), x-signature among them. A rejected request is a verdict
     * (['accepted' => false, 'check' => 'signature_mismatch', 'combinations' => [...]]), not an
     * exception; OmniException is for unusable arguments (empty secret, negative clock, a string
     * holding a NUL byte).
     *
     * @param list<array{0: string, 1: string}> $headers
     * @return array<string, mixed>
     */
    public function diagnose(string $secret, string $method, string $url, array $headers, string $body = '', ?int $nowMs = null, int $toleranceMs = self::DEFAULT_TOLERANCE_MS, bool $strict = false): array
    {
        $nowMs ??= (int) floor(microtime(true) * 1000);
        $count = count($headers);
        $array = $this->ffi->new('omni_header[' . max($count, 1) . ']');
        $keep = []; // the C strings, alive until the call returns
        foreach (array_values($headers) as $i => [$name, $value]) {
            foreach (['name' => $name, 'value' => $value] as $field => $text) {
                $this->text($text, self::INVALID_INPUT);
                $c = \FFI::new('char[' . (strlen($text) + 1) . ']');
                \FFI::memcpy($c, $text, strlen($text));
                $keep[] = $c;
                $array[$i]->{$field} = \FFI::cast('char *', \FFI::addr($c));
            }
        }
        $json = $this->withBuffer(4096, fn ($out, $cap, $len) => $this->ffi->omni_diagnose($this->text($method, self::INVALID_INPUT), $this->text($url, self::INVALID_INPUT), $array, $count, $body, strlen($body), $secret, strlen($secret), $nowMs, $toleranceMs, $strict ? self::VERIFY_STRICT : 0, $out, $cap, $len));
        unset($keep);
        $verdict = json_decode($json, true, 512, JSON_THROW_ON_ERROR);
        if (($verdict['version'] ?? null) !== self::VERDICT_VERSION) {
            throw new \RuntimeException('libomni wrote verdict version ' . var_export($verdict['version'] ?? null, true) . ', this class reads ' . self::VERDICT_VERSION);
        }
        return $verdict;
    }

    public function signer(string $secret): Signer
    {
        return new Signer($this, $secret);
    }
}

/** One partner secret key, hashed once. The key state is wiped on close() or destruction. */
final class Signer
{
    private ?\FFI\CData $handle;
    private \FFI\CData $out;
    private \FFI\CData $len;

    public function __construct(private readonly Omni $omni, string $secret)
    {
        $handle = $omni->ffi->new('omni_signer*');
        $omni->check($omni->ffi->omni_signer_new($secret, strlen($secret), \FFI::addr($handle)));
        $this->handle = $handle;
        $this->out = \FFI::new('char[' . Omni::SIGNATURE_BUFFER_SIZE . ']');
        $this->len = \FFI::new('size_t');
    }

    public function close(): void
    {
        if ($this->handle !== null) {
            $this->omni->ffi->omni_signer_free($this->handle);
            $this->handle = null;
        }
    }

    public function __destruct()
    {
        $this->close();
    }

    /** x-signature of one request: `sha256=<hex>`, or bare hex when asked. */
    public function sign(string $method, string $url, string $partnerClientId, int $timestampMs, string $body = '', ?string $storeClientId = null, ?string $storeToken = null, bool $bareHex = false): string
    {
        $o = $this->omni;
        $status = $o->ffi->omni_signer_sign($this->handle, $o->text($method, Omni::INVALID_METHOD), $o->text($url, Omni::INVALID_URL), $o->text($partnerClientId), $o->text($storeClientId), $o->text($storeToken), $timestampMs, $body, strlen($body), $bareHex ? Omni::SIGN_BARE_HEX : 0, $this->out, Omni::SIGNATURE_BUFFER_SIZE, \FFI::addr($this->len));
        $o->check($status);
        return \FFI::string($this->out, $this->len->cdata);
    }
}
