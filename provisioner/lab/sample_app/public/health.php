<?php

declare(strict_types=1);

require dirname(__DIR__) . '/src/db.php';

// What the provisioner checks after a deploy (see provisioner.json): 200 only when the
// database answers.
header('Content-Type: application/json');
header('Cache-Control: no-store');
try {
    app_db()->query('SELECT 1');
    echo json_encode(['status' => 'ok', 'db' => true]);
} catch (Throwable $e) {
    http_response_code(503);
    echo json_encode(['status' => 'error', 'db' => false, 'reason' => $e->getMessage()]);
}
