<?php
/**
 * opcache.preload script: makes libomni and the Omni classes ready at server start, so that
 * requests run under `ffi.enable=preload` (PHP's default in web servers) and reach libomni
 * with Omni\Omni::fromScope(). include/omni_ffi.h is omni_php.h behind
 * `#define FFI_SCOPE "omni"` and `#define FFI_LIB "libomni.so.0"` (found through the system's
 * library path, e.g. with the libomni0 package; edit FFI_LIB in a copy to name another path).
 *
 * php.ini, when the server starts as root (PHP then needs opcache.preload_user, and refuses
 * FFI::load in a preload script, so ffi.preload loads the header):
 *
 *   ffi.enable=preload
 *   ffi.preload=/path/to/vendor/omni/omni/include/omni_ffi.h
 *   opcache.preload=/path/to/vendor/omni/omni/preload.php
 *   opcache.preload_user=www-data
 *
 * Started as an unprivileged user, ffi.preload may be left out: this script loads the header.
 */

declare(strict_types=1);

if ((string) ini_get('ffi.preload') === '') {
    $header = __DIR__ . '/include/omni_ffi.h';
    if (FFI::load($header) === null) {
        throw new RuntimeException("omni preload: FFI::load($header) failed");
    }
}
foreach (['OmniException', 'Omni', 'Signer'] as $class) {
    opcache_compile_file(__DIR__ . "/src/$class.php");
}
