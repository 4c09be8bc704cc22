"""How an app no one here wrote is served: detection without a manifest, a manifest carried
into the layout as declared, bad manifests refused naming the field, and what an approved
plan says about the database and the stack (provisioner.domain.app_layout,
provisioner.adapters.app_manifest)."""

from __future__ import annotations

from typing import Any

import pytest

from provisioner.adapters.app_manifest import manifest_problems
from provisioner.domain.app_layout import (
    AppLayout,
    CronEntry,
    choose_document_root,
    planned_static,
    plans_database,
    resolve_layout,
)
from provisioner.domain.errors import StepFailed
from provisioner.steps.app_source import read_app_layout, site_extravars

SETTINGS = {
    "db_host": "db1.internal",
    "db_name": "site_perpus",
    "db_user": "u_perpus",
    "db_password": "s3cret",
    "site_url": "https://perpus.demokab.go.id",
    "site_fqdn": "perpus.demokab.go.id",
}

LARAVEL_MANIFEST: dict[str, Any] = {
    "stack": "php",
    "document_root": "public",
    "front_controller": "index.php",
    "htaccess": ["FileInfo", "Options=FollowSymLinks"],
    "php": {
        "version": "8.3",
        "upload_max_filesize": "64M",
        "post_max_size": "64M",
        "memory_limit": "256M",
        "max_execution_time": 120,
        "max_input_vars": 5000,
    },
    "shared": ["storage", "public/uploads"],
    "env": {
        "DB_DATABASE": "db_name",
        "DB_USERNAME": "db_user",
        "DB_PASSWORD": "db_password",
        "APP_URL": "site_url",
        "APP_ENV": {"value": "production"},
    },
    "hooks": {"build": "composer install --no-dev", "migrate": "php artisan migrate --force"},
    "cron": [
        {"schedule": "* * * * *", "command": "php artisan schedule:run"},
        {"schedule": "@daily", "command": "php artisan backup:run"},
    ],
    "health_url": "/up",
    "health_status": 204,
    "marker": "Perpustakaan",
}


def refuse(field: str, reason: str) -> StepFailed:
    return StepFailed("source_dev", "repo", f"{field}: {reason}")


def layout_of(
    manifest: dict[str, Any],
    root_entries: set[str],
    docroots: dict[str, set[str]],
    *,
    planned_static: bool = False,
) -> AppLayout:
    """As read_app_layout does it: choose the root, list it, resolve."""
    document_root = choose_document_root(manifest, root_entries)
    entries = root_entries if document_root == "" else docroots.get(document_root)
    return resolve_layout(
        manifest, document_root, entries, planned_static=planned_static, refuse=refuse
    )


def problem_fields(manifest: object) -> list[str]:
    return [field for field, _ in manifest_problems(manifest)]


# --- without a manifest ------------------------------------------------------------------


def test_public_directory_is_the_document_root_when_the_repository_has_it() -> None:
    assert choose_document_root({}, {"public/", "composer.json", "app/"}) == "public"


def test_repository_root_is_the_document_root_without_a_public_directory() -> None:
    assert choose_document_root({}, {"index.php", "src/"}) == ""
    # A file named "public" is not the directory (list_directory marks those with "/").
    assert choose_document_root({}, {"public", "index.html"}) == ""


def test_index_php_in_the_detected_root_means_a_php_stack() -> None:
    layout = layout_of({}, {"public/", "composer.json"}, {"public": {"index.php", "css/"}})
    assert layout.document_root == "public"
    assert layout.php is True
    assert layout.to_dict()["stack"] == "php"
    assert layout.detected == ("document root: public (detected)", "stack: php (index.php)")


def test_index_php_wins_over_index_html_when_both_are_there() -> None:
    layout = layout_of({}, {"index.php", "index.html"}, {})
    assert layout.php is True


def test_index_html_alone_means_a_static_site_without_php_pool() -> None:
    layout = layout_of({}, {"index.html", "assets/"}, {})
    assert layout.document_root == ""
    assert layout.php is False
    assert layout.to_dict()["stack"] == "static"
    assert "stack: static (index.html, no index.php)" in layout.detected
    assert layout.php_version == "" and layout.php_settings == () and layout.front_controller == ""
    extra = site_extravars(layout.to_dict(), SETTINGS)
    assert extra["php"] is False
    assert "vhost_php_version" not in extra
    assert extra["php_settings"] == {}


def test_detected_defaults_without_a_manifest() -> None:
    layout = layout_of({}, {"public/"}, {"public": {"index.php"}})
    assert layout.shared == () and layout.env == () and layout.cron == () and layout.hooks == ()
    assert layout.health_url is None and layout.marker is None
    assert layout.health_status == 200


def test_document_root_without_index_is_refused_asking_for_a_manifest() -> None:
    with pytest.raises(StepFailed) as caught:
        layout_of({}, {"public/"}, {"public": {"robots.txt"}})
    assert caught.value.reason.startswith("document_root: no index.php or index.html in 'public'")
    assert "declare document_root in provisioner.json" in caught.value.reason


def test_missing_document_root_directory_is_refused() -> None:
    with pytest.raises(StepFailed) as caught:
        layout_of({"document_root": "web"}, {"index.php"}, {})
    assert caught.value.reason == "document_root: 'web' is not a directory of the repository"


# --- a manifest, carried into the layout as declared -------------------------------------


def laravel_layout(**kwargs: Any) -> AppLayout:
    return layout_of(
        LARAVEL_MANIFEST,
        {"public/", "app/", "storage/", "artisan", "composer.json"},
        {"public": {"index.php", ".htaccess", "uploads/"}},
        **kwargs,
    )


def test_manifest_laravel_example_is_schema_valid() -> None:
    assert manifest_problems(LARAVEL_MANIFEST) == []
    assert manifest_problems({}) == []


def test_manifest_document_root_and_front_controller_are_carried() -> None:
    layout = laravel_layout()
    assert layout.document_root == "public"
    assert layout.front_controller == "index.php"
    assert layout.php is True
    assert layout.detected == ("document root: public", "stack: php (declared)")


def test_manifest_document_root_dot_is_the_repository_itself() -> None:
    manifest = {"document_root": "."}
    assert manifest_problems(manifest) == []
    # Declared "." wins even when the repository has public/.
    layout = layout_of(manifest, {"public/", "index.php"}, {"public": {"index.html"}})
    assert layout.document_root == ""
    assert layout.php is True
    assert layout.detected[0] == "document root: ."


def test_manifest_nested_document_root_is_served() -> None:
    manifest = {"document_root": "web/dist"}
    assert manifest_problems(manifest) == []
    layout = layout_of(manifest, {"web/"}, {"web/dist": {"index.html"}})
    assert layout.document_root == "web/dist"
    assert layout.php is False


def test_manifest_shared_directories_are_carried() -> None:
    assert laravel_layout().shared == ("storage", "public/uploads")


def test_manifest_env_maps_laravel_keys_to_site_settings() -> None:
    layout = laravel_layout()
    assert dict(layout.env) == {
        "DB_DATABASE": "db_name",
        "DB_USERNAME": "db_user",
        "DB_PASSWORD": "db_password",
        "APP_URL": "site_url",
        "APP_ENV": "=production",
    }
    assert layout.env_values(SETTINGS) == {
        "DB_DATABASE": "site_perpus",
        "DB_USERNAME": "u_perpus",
        "DB_PASSWORD": "s3cret",
        "APP_URL": "https://perpus.demokab.go.id",
        "APP_ENV": "production",
    }


def test_manifest_env_codeigniter_dotted_key_is_accepted() -> None:
    manifest = {"env": {"database.default.database": "db_name"}}
    assert manifest_problems(manifest) == []
    layout = layout_of(manifest, {"index.php"}, {})
    assert layout.env_values(SETTINGS) == {"database.default.database": "site_perpus"}


def test_manifest_env_fixed_value_starting_with_equals_is_kept_verbatim() -> None:
    layout = layout_of({"env": {"X": {"value": "=a=b"}, "EMPTY": {"value": ""}}}, {"index.php"}, {})
    assert layout.env_values({}) == {"X": "=a=b", "EMPTY": ""}


def test_manifest_php_version_and_settings_are_carried() -> None:
    layout = laravel_layout()
    assert layout.php_version == "8.3"
    assert dict(layout.php_settings) == {
        "upload_max_filesize": "64M",
        "post_max_size": "64M",
        "memory_limit": "256M",
        "max_execution_time": "120",
        "max_input_vars": "5000",
    }
    extra = site_extravars(layout.to_dict(), SETTINGS)
    assert extra["vhost_php_version"] == "8.3"
    assert extra["php_settings"]["max_execution_time"] == "120"


def test_manifest_cron_health_marker_hooks_and_htaccess_are_carried() -> None:
    layout = laravel_layout()
    assert layout.cron == (
        CronEntry("* * * * *", "php artisan schedule:run"),
        CronEntry("@daily", "php artisan backup:run"),
    )
    assert layout.health_url == "/up"
    assert layout.health_status == 204
    assert layout.marker == "Perpustakaan"
    assert dict(layout.hooks) == LARAVEL_MANIFEST["hooks"]
    assert layout.htaccess == ("FileInfo", "Options=FollowSymLinks")


def test_layout_survives_being_recorded_and_read_back() -> None:
    layout = laravel_layout()
    recorded = layout.to_dict()
    assert recorded["health_url"] == "/up" and recorded["marker"] == "Perpustakaan"
    back = AppLayout.from_dict(recorded)
    assert back == layout
    assert back.detected == layout.detected
    static = layout_of({}, {"index.html"}, {})
    assert AppLayout.from_dict(static.to_dict()) == static
    assert "health_url" not in static.to_dict()


def test_old_release_record_is_read_as_php_from_public() -> None:
    old = AppLayout.from_dict({"health_url": "/health", "marker": "OK"})
    assert old.document_root == "public"
    assert old.php is True
    assert old.health_url == "/health" and old.health_status == 200


def test_site_extravars_carry_the_declared_layout_to_the_roles() -> None:
    extra = site_extravars(laravel_layout().to_dict(), SETTINGS)
    assert extra["document_root"] == "public"
    assert extra["front_controller"] == "index.php"
    assert extra["shared_dirs"] == ["storage", "public/uploads"]
    assert extra["app_env"]["DB_DATABASE"] == "site_perpus"
    assert extra["cron_entries"][1] == {"schedule": "@daily", "command": "php artisan backup:run"}
    assert extra["health_status"] == 204


def test_declared_stack_wins_over_detection() -> None:
    layout = layout_of({"stack": "static"}, {"index.php", "index.html"}, {})
    assert layout.php is False
    assert layout.detected[1] == "stack: static (declared)"


# --- what resolve_layout refuses ---------------------------------------------------------


def test_front_controller_missing_from_document_root_is_refused() -> None:
    with pytest.raises(StepFailed) as caught:
        layout_of({"front_controller": "app.php"}, {"public/"}, {"public": {"index.php"}})
    assert caught.value.reason == "front_controller: app.php is not in the document root 'public'"


def test_front_controller_on_a_static_site_is_refused() -> None:
    manifest = {"stack": "static", "front_controller": "index.php"}
    with pytest.raises(StepFailed) as caught:
        layout_of(manifest, {"index.php", "index.html"}, {})
    assert caught.value.reason == "front_controller: a static site has no PHP front controller"


def test_php_settings_on_a_static_site_are_refused() -> None:
    with pytest.raises(StepFailed) as caught:
        layout_of({"php": {"memory_limit": "128M"}}, {"index.html"}, {})
    assert caught.value.reason == "php: a static site has no PHP settings"


def test_php_app_on_a_plan_approved_as_static_is_refused() -> None:
    with pytest.raises(StepFailed) as caught:
        layout_of({}, {"index.php"}, {}, planned_static=True)
    assert caught.value.reason.startswith(
        "stack: the approved plan is a static site, but the app is PHP (php (index.php))"
    )
    assert "submit a request for PHP hosting" in caught.value.reason


def test_static_app_on_a_plan_approved_as_static_is_served() -> None:
    layout = layout_of({}, {"index.html"}, {}, planned_static=True)
    assert layout.php is False


# --- bad manifests, refused by the schema naming the field -------------------------------


def test_manifest_unknown_top_level_key_is_refused_naming_it() -> None:
    problems = manifest_problems({"docroot": "public"})
    assert len(problems) == 1
    field, message = problems[0]
    assert field == "(root)"
    assert "'docroot' was unexpected" in message


def test_manifest_unknown_php_key_is_refused_naming_it() -> None:
    problems = manifest_problems({"php": {"display_errors": "1"}})
    assert problems[0][0] == "php"
    assert "'display_errors' was unexpected" in problems[0][1]


@pytest.mark.parametrize(
    "document_root",
    ["../x", "/var/www", "public/../../etc", "./public", "public/", "..", ".git", "a//b", ""],
)
def test_manifest_document_root_escaping_or_malformed_is_refused(document_root: str) -> None:
    problems = manifest_problems({"document_root": document_root})
    # The explanation lives on the property beside its $ref, so only the value is shown.
    assert problems == [("document_root", f'"{document_root}" is not allowed here')]


@pytest.mark.parametrize(
    "shared", ["../uploads", "storage/../../etc", "/srv/data", ".env", ".", "uploads/", ".git/x"]
)
def test_manifest_shared_dir_escaping_is_refused(shared: str) -> None:
    problems = manifest_problems({"shared": ["storage", shared]})
    assert problems[0][0] == "shared[1]"
    assert problems[0][1] == f'"{shared}" is not allowed here'


def test_manifest_shared_dir_repeated_is_refused() -> None:
    problems = manifest_problems({"shared": ["storage", "storage"]})
    assert problems[0][0] == "shared"
    assert "non-unique" in problems[0][1]


@pytest.mark.parametrize("version", ["8", "8.10", "php8.2", "8.2.1", "latest"])
def test_manifest_php_version_not_shaped_like_a_version_is_refused(version: str) -> None:
    problems = manifest_problems({"php": {"version": version}})
    assert problems[0][0] == "php.version"
    assert problems[0][1].startswith(f'"{version}" is not allowed here (A PHP version the web')


def test_manifest_php_version_is_not_checked_against_the_host_here() -> None:
    # Whether the web host offers it is detected on the host at deploy (the vhost role);
    # the manifest check and the layout take any well-shaped version as declared.
    assert manifest_problems({"php": {"version": "5.6"}}) == []
    layout = layout_of({"php": {"version": "5.6"}}, {"index.php"}, {})
    assert layout.php_version == "5.6"


@pytest.mark.parametrize(
    ("manifest", "field", "message"),
    [
        ({"shared": "storage"}, "shared", "'storage' is not of type 'array'"),
        ({"health_status": "200"}, "health_status", "'200' is not of type 'integer'"),
        ({"health_status": 500}, "health_status", "500 is greater than the maximum of 399"),
        ({"php": {"max_execution_time": "30"}}, "php.max_execution_time",
         "'30' is not of type 'integer'"),
        ({"php": {"memory_limit": 256}}, "php.memory_limit", "256 is not of type 'string'"),
        ({"php": "8.2"}, "php", "'8.2' is not of type 'object'"),
        ({"cron": {"schedule": "@daily"}}, "cron", "is not of type 'array'"),
        ({"cron": [{"schedule": "@daily"}]}, "cron[0]", "'command' is a required property"),
        ({"marker": ""}, "marker", "should be non-empty"),
    ],
)  # fmt: skip
def test_manifest_wrong_type_is_refused_naming_the_field(
    manifest: dict[str, Any], field: str, message: str
) -> None:
    problems = manifest_problems(manifest)
    assert problems[0][0] == field
    assert message in problems[0][1]


def test_manifest_that_is_not_an_object_is_refused() -> None:
    assert manifest_problems(["public"]) == [("(root)", "['public'] is not of type 'object'")]


def test_manifest_size_setting_with_bad_unit_is_refused() -> None:
    problems = manifest_problems({"php": {"memory_limit": "12X"}})
    assert problems[0] == ("php.memory_limit", '"12X" is not allowed here')


def test_manifest_stack_outside_php_or_static_is_refused() -> None:
    problems = manifest_problems({"stack": "node"})
    assert problems[0][0] == "stack"
    assert problems[0][1].startswith('"node" is not allowed here (php: the site gets')


def test_manifest_env_unknown_site_setting_is_refused() -> None:
    problems = manifest_problems({"env": {"DB_PASSWORD": "root_password"}})
    assert problems[0][0] == "env.DB_PASSWORD"
    assert problems[0][1] == '"root_password" is not allowed here'


def test_manifest_env_bad_key_name_is_refused() -> None:
    assert problem_fields({"env": {"1BAD": "db_name"}}) == ["env"]


def test_manifest_cron_bad_schedule_is_refused() -> None:
    problems = manifest_problems({"cron": [{"schedule": "every minute", "command": "x"}]})
    assert problems[0] == ("cron[0].schedule", '"every minute" is not allowed here')


@pytest.mark.parametrize("entry", ["All", "Options", "ExecCGI", "Options=ExecCGI"])
def test_manifest_dangerous_htaccess_override_is_refused(entry: str) -> None:
    assert problem_fields({"htaccess": [entry]})[0] == "htaccess[0]"


def test_manifest_most_specific_problem_comes_first() -> None:
    problems = manifest_problems({"nope": 1, "php": {"memory_limit": "12X"}})
    assert [field for field, _ in problems] == ["php.memory_limit", "(root)"]


# --- the step that reads the repository (with a stand-in for git) ------------------------


class FakeGit:
    def __init__(self, manifest: dict[str, Any], tree: dict[str, set[str]]) -> None:
        self.manifest = manifest
        self.tree = tree

    def read_manifest(self, repo_url: str, commit: str, *, step: str) -> dict[str, Any]:
        return self.manifest

    def list_directory(
        self, repo_url: str, commit: str, directory: str = "", *, step: str
    ) -> set[str] | None:
        return self.tree.get(directory)


def test_read_app_layout_records_the_detected_layout() -> None:
    git = FakeGit({}, {"": {"public/", "composer.json"}, "public": {"index.php"}})
    recorded = read_app_layout(git, "git@x:app.git", "a" * 40, step="site_dev", plan=None)  # type: ignore[arg-type]
    assert recorded["document_root"] == "public"
    assert recorded["stack"] == "php"


def test_read_app_layout_error_names_the_manifest_field() -> None:
    git = FakeGit({"front_controller": "app.php"}, {"": {"index.php"}})
    with pytest.raises(StepFailed) as caught:
        read_app_layout(git, "git@x:app.git", "b" * 40, step="site_dev", plan=None)  # type: ignore[arg-type]
    assert "provisioner.json front_controller: app.php is not in the document root '.'" in (
        caught.value.reason
    )
    assert f"(commit {'b' * 12})" in caught.value.reason


def test_read_app_layout_refuses_php_app_on_static_plan() -> None:
    git = FakeGit({}, {"": {"index.php"}})
    plan = {"dns": {}, "hosting": {"database": None, "stack": "static"}}
    with pytest.raises(StepFailed) as caught:
        read_app_layout(git, "git@x:app.git", "c" * 40, step="source_dev", plan=plan)  # type: ignore[arg-type]
    assert ": stack: the approved plan is a static site" in caught.value.reason


# --- what an approved plan says -----------------------------------------------------------

PHP_HOSTING = {
    "vhosts": [{"host": "web-dev", "fqdn": "perpus.dev.demokab.go.id"}],
    "database": {"host": "db1", "name": "site_perpus", "user": "u_perpus"},
    "deploy": {"repo": "git@x:app.git", "branch": "main"},
}
STATIC_HOSTING = {**PHP_HOSTING, "database": None, "stack": "static"}


def test_plans_database_when_the_hosting_section_names_one() -> None:
    assert plans_database({"dns": {}, "hosting": PHP_HOSTING}) is True


def test_plans_no_database_for_a_static_site_without_one() -> None:
    assert plans_database({"dns": {}, "hosting": STATIC_HOSTING}) is False


def test_plans_database_for_a_static_site_that_asked_for_one() -> None:
    hosting = {**STATIC_HOSTING, "database": PHP_HOSTING["database"]}
    assert plans_database({"dns": {}, "hosting": hosting}) is True
    assert planned_static({"dns": {}, "hosting": hosting}) is True


@pytest.mark.parametrize(
    "plan", [None, {}, {"dns": {}}, {"dns": {}, "hosting": None}, {"dns": {}, "hosting": {}}]
)
def test_plans_without_hosting_name_no_database_and_no_static_site(
    plan: dict[str, Any] | None,
) -> None:
    assert plans_database(plan) is False
    assert planned_static(plan) is False


def test_planned_static_only_when_the_hosting_section_says_static() -> None:
    assert planned_static({"dns": {}, "hosting": STATIC_HOSTING}) is True
    assert planned_static({"dns": {}, "hosting": PHP_HOSTING}) is False
    assert planned_static({"dns": {}, "hosting": {**PHP_HOSTING, "stack": "php"}}) is False
