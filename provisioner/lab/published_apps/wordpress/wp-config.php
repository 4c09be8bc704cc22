<?php
/**
 * WordPress's settings on a site hosted by provisioner. Everything that differs between
 * sites and hosts comes from the site's .env: provisioner writes it on each web host
 * (shared/.env, readable by the site's own user only) and links it into every release, so
 * no setting or secret is in this repository. This file replaces Debian's wp-config.php,
 * which reads /etc/wordpress/config-<host>.php instead; the rest is Debian's package as
 * published.
 *
 * .env holds DB_HOST, DB_NAME, DB_USER and DB_PASSWORD (provisioner's own keys), then the
 * keys provisioner.json's "env" maps. The authentication keys and salts are left to
 * WordPress, which generates them and keeps them in the database.
 */
$provisioner_env = @parse_ini_file(__DIR__ . '/.env', false, INI_SCANNER_RAW);
if (!is_array($provisioner_env) || !isset($provisioner_env['DB_NAME'])) {
    header('HTTP/1.1 503 Service Unavailable');
    header('Content-Type: text/plain; charset=utf-8');
    exit("Pengaturan situs (.env) tidak terbaca / the site's settings (.env) cannot be read\n");
}

foreach (['DB_HOST', 'DB_NAME', 'DB_USER', 'DB_PASSWORD'] as $provisioner_key) {
    define($provisioner_key, (string) ($provisioner_env[$provisioner_key] ?? ''));
}
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');

// Fixed values from provisioner.json, kept in .env with the rest.
define('WP_ENVIRONMENT_TYPE', $provisioner_env['WP_ENVIRONMENT_TYPE'] ?? 'production');
// The servers reach no one outside: WordPress asks no update or translation service.
define('WP_HTTP_BLOCK_EXTERNAL', ($provisioner_env['WP_HTTP_BLOCK_EXTERNAL'] ?? 'true') === 'true');
define('AUTOMATIC_UPDATER_DISABLED', true);
// Scheduled tasks run from the site user's cron entry (provisioner.json "cron"), not from
// visitors' requests.
define('DISABLE_WP_CRON', ($provisioner_env['DISABLE_WP_CRON'] ?? 'true') === 'true');
define('WP_DEBUG', false);

$table_prefix = 'wp_';

if (!defined('ABSPATH')) {
    define('ABSPATH', __DIR__ . '/');
}
unset($provisioner_env, $provisioner_key);

require_once ABSPATH . 'wp-settings.php';
