<?php

declare(strict_types=1);

namespace Omni;

/** A status other than OMNI_OK: its code, its C name and libomni's sentence for it. */
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
