<?php

declare(strict_types=1);

/**
 * Database access for the sample app. Settings come from the release's .env (INI style),
 * which the deploy links to /var/www/<fqdn>/shared/.env, so no secret is in the repo.
 */

/** @return array<string, string> DB_HOST, DB_NAME, DB_USER, DB_PASSWORD (and DB_PORT) */
function app_config(): array
{
    $file = dirname(__DIR__) . '/.env';
    if (!is_readable($file)) {
        throw new RuntimeException('.env tidak ditemukan / .env not found');
    }
    $config = parse_ini_file($file, false, INI_SCANNER_RAW);
    if ($config === false) {
        throw new RuntimeException('.env tidak dapat dibaca / .env cannot be parsed');
    }
    foreach (['DB_HOST', 'DB_NAME', 'DB_USER', 'DB_PASSWORD'] as $key) {
        if (!isset($config[$key])) {
            throw new RuntimeException("$key tidak ada di .env / $key missing from .env");
        }
    }
    return $config;
}

function app_db(): PDO
{
    $config = app_config();
    $dsn = sprintf(
        'mysql:host=%s;port=%s;dbname=%s;charset=utf8mb4',
        $config['DB_HOST'],
        $config['DB_PORT'] ?? '3306',
        $config['DB_NAME'],
    );
    return new PDO($dsn, $config['DB_USER'], $config['DB_PASSWORD'], [
        PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION,
        PDO::ATTR_TIMEOUT => 3,
    ]);
}
