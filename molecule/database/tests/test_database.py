"""The database role made a database and a user with rights on it only, from the web hosts."""

from __future__ import annotations


def test_user_has_rights_on_its_database_only(db_host, db) -> None:  # type: ignore[no-untyped-def]
    name, _ = db
    grants = db_host.check_output("mariadb -N -e \"SHOW GRANTS FOR '%s'@'127.0.2.%%'\"", name)
    # MariaDB shows "_" escaped (a literal name, not a LIKE pattern); batch output escapes
    # the backslash again: compare without them.
    assert f"ALL PRIVILEGES ON `{name}`.*" in grants.replace("\\", ""), grants
    assert "ON *.*" not in grants.replace("USAGE ON *.*", "")


def test_web_host_connects_with_the_credentials(web_host, db) -> None:  # type: ignore[no-untyped-def]
    name, password = db
    out = web_host.run("mariadb -h 127.0.2.30 -u %s -p%s %s -N -e 'SELECT DATABASE()'",
                       name, password, name)
    assert out.rc == 0, out.stderr
    assert out.stdout.strip() == name


def test_user_cannot_reach_other_databases(web_host, db) -> None:  # type: ignore[no-untyped-def]
    name, password = db
    out = web_host.run("mariadb -h 127.0.2.30 -u %s -p%s mysql -N -e 'SELECT 1'", name, password)
    assert out.rc != 0
