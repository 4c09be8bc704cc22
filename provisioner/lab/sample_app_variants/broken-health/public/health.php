<?php

declare(strict_types=1);

// Branch broken-health: a release whose health check fails on purpose, so the lab can
// show a deploy that is stopped (and rolled back) instead of going live.
http_response_code(500);
header('Content-Type: application/json');
header('Cache-Control: no-store');
echo json_encode([
    'status' => 'broken',
    'db' => false,
    'reason' => 'cabang broken-health sengaja rusak / the broken-health branch fails on purpose',
]);
