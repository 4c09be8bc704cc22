<?php

declare(strict_types=1);

require dirname(__DIR__) . '/src/db.php';

// The page is titled with the name it was asked for, so dev and production differ.
$site = $_SERVER['HTTP_HOST'] ?? 'localhost';
$visits = null;
$error = null;
try {
    $db = app_db();
    $db->exec(
        'CREATE TABLE IF NOT EXISTS visits ('
        . ' id INT AUTO_INCREMENT PRIMARY KEY,'
        . ' site VARCHAR(255) NOT NULL,'
        . ' visited_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)'
    );
    $db->prepare('INSERT INTO visits (site) VALUES (?)')->execute([$site]);
    $visits = (int) $db->query('SELECT COUNT(*) FROM visits')->fetchColumn();
} catch (Throwable $e) {
    http_response_code(503);
    $error = $e->getMessage();
}

function e(string $text): string
{
    return htmlspecialchars($text, ENT_QUOTES, 'UTF-8');
}
?>
<!doctype html>
<html lang="id">
<head>
  <meta charset="utf-8">
  <meta name="generator" content="provisioner-sample-app">
  <title><?= e($site) ?></title>
</head>
<body>
  <h1><?= e($site) ?></h1>
  <p>Situs ini dipasang oleh provisioner / This site was set up by the provisioner.</p>
<?php if ($error === null): ?>
  <p>Jumlah kunjungan / Visits: <strong id="visits"><?= $visits ?></strong></p>
<?php else: ?>
  <p>Basis data tidak tersedia / Database unavailable: <?= e($error) ?></p>
<?php endif; ?>
  <footer><small>provisioner-sample-app</small></footer>
</body>
</html>
