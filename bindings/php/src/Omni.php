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
 * carrying the omni_status code.
 */

declare(strict_types=1);

namespace Omni;

final class OmniException extends \RuntimeException
{
    public function __construct(public readonly int $status, string $message)
    {
        parent::__construct("omni_status $status: $message", $status);
    }
}

final class Omni
{
    public const EXPECTED_VERSION = '0.1.0';
    public const DEFAULT_TOLERANCE_MS = 300000;

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
        if ($found !== self::EXPECTED_VERSION) {
            throw new \RuntimeException("libomni $found loaded, this class is written for " . self::EXPECTED_VERSION);
        }
        return $omni;
    }

    public function version(): string
    {
        return $this->ffi->omni_version();
    }

    /** @internal */
    public function check(int $status): void
    {
        if ($status !== self::OK) {
            throw new OmniException($status, $this->ffi->omni_status_str($status));
        }
    }

    /** @internal A C string cannot hold a NUL: such a value is refused before the call. */
    public function text(?string $value): ?string
    {
        if ($value !== null && str_contains($value, "\0")) {
            throw new OmniException(self::INVALID_INPUT, 'a string holds a NUL byte');
        }
        return $value;
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
        $a = [$this->text($method), $this->text($url), $this->text($partnerClientId), $this->text($storeClientId), $this->text($storeToken)];
        return $this->withBuffer(self::SIGNATURE_BUFFER_SIZE, fn ($out, $cap, $len) => $this->ffi->omni_sign($secret, strlen($secret), ...$a, ...[$timestampMs, $body, strlen($body), $out, $cap, $len]));
    }

    /** The exact base string signed for the request; it holds the store token. */
    public function baseString(string $method, string $url, string $partnerClientId, int $timestampMs, string $body = '', ?string $storeClientId = null, ?string $storeToken = null): string
    {
        $a = [$this->text($method), $this->text($url), $this->text($partnerClientId), $this->text($storeClientId), $this->text($storeToken)];
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
        $this->check($this->ffi->omni_verify($secret, strlen($secret), $this->text($method), $this->text($url), $this->text($partnerClientId), $this->text($storeClientId), $this->text($storeToken), $this->text($timestamp), $this->text($signature), $body, strlen($body), $nowMs, $toleranceMs, $strict ? self::VERIFY_STRICT : 0));
    }

    /** Re-writes a JSON text as JavaScript's JSON.stringify(JSON.parse(text)), e.g. json_encode output. */
    public function jsonStringify(string $json): string
    {
        return $this->withBuffer(strlen($json) + 1, fn ($out, $cap, $len) => $this->ffi->omni_json_stringify($json, strlen($json), $out, $cap, $len));
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
        $status = $o->ffi->omni_signer_sign($this->handle, $o->text($method), $o->text($url), $o->text($partnerClientId), $o->text($storeClientId), $o->text($storeToken), $timestampMs, $body, strlen($body), $bareHex ? Omni::SIGN_BARE_HEX : 0, $this->out, Omni::SIGNATURE_BUFFER_SIZE, \FFI::addr($this->len));
        $o->check($status);
        return \FFI::string($this->out, $this->len->cdata);
    }
}
