<?php

declare(strict_types=1);

namespace Omni;

/** One partner secret key, hashed once. The key state is wiped on close() or destruction. */
final class Signer
{
    private ?\FFI\CData $handle;
    private \FFI\CData $out;
    private \FFI\CData $len;
    /** `&$len`, made once: `FFI::addr` builds a new object on every call. */
    private \FFI\CData $lenAddr;

    public function __construct(private readonly Omni $omni, string $secret)
    {
        $handle = $omni->ffi->new('omni_signer*');
        $omni->check($omni->ffi->omni_signer_new($secret, strlen($secret), \FFI::addr($handle)));
        $this->handle = $handle;
        $this->out = $omni->ffi->new('char[' . Omni::SIGNATURE_BUFFER_SIZE . ']');
        $this->len = $omni->ffi->new('size_t');
        $this->lenAddr = \FFI::addr($this->len);
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
        // A C string cannot hold a NUL (see Omni::text). Checked inline, since a PHP call per
        // argument costs more than the check; Omni::text raises the refusal with its status.
        if (str_contains($method, "\0") || str_contains($url, "\0") || str_contains($partnerClientId, "\0")
            || ($storeClientId !== null && str_contains($storeClientId, "\0"))
            || ($storeToken !== null && str_contains($storeToken, "\0"))) {
            $o->text($method, Omni::INVALID_METHOD);
            $o->text($url, Omni::INVALID_URL);
            $o->text($partnerClientId);
            $o->text($storeClientId);
            $o->text($storeToken);
        }
        $status = $o->ffi->omni_signer_sign($this->handle, $method, $url, $partnerClientId, $storeClientId, $storeToken, $timestampMs, $body, strlen($body), $bareHex ? Omni::SIGN_BARE_HEX : 0, $this->out, Omni::SIGNATURE_BUFFER_SIZE, $this->lenAddr);
        $o->check($status);
        return \FFI::string($this->out, $this->len->cdata);
    }
}
