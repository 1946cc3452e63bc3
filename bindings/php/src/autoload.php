<?php
/**
 * For a source checkout without Composer: loads the three classes. A Composer install uses
 * vendor/autoload.php (PSR-4, Omni\ => src/) instead.
 */

declare(strict_types=1);

require_once __DIR__ . '/OmniException.php';
require_once __DIR__ . '/Omni.php';
require_once __DIR__ . '/Signer.php';
