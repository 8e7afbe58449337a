"""The plugin in Debian's real WordPress 6.1 (../shared/wordpress/wp-up.sh: PHP's server and a
private MariaDB on loopback), installed from the zip engage serves, in the block theme Twenty
Twenty-Three and the classic Twenty Twenty-One; checked with curl (no JavaScript) and in
Chromium. In CI a WordPress that cannot come up fails the run."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import textwrap
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import Any

import jwt
import pytest
from sqlalchemy import select

from engage.extensions import db
from engage.models import Comment
from engage.services import sso
from tests.browser.conftest import screenshot, serve
from tests.conftest import IN_CI
from tests.factories import make_comment, make_site, make_thread

pytestmark = pytest.mark.wordpress

WP = "http://127.0.0.1:8089"
PLUGINS = Path("/var/lib/wordpress/wp-content/plugins")
THEMES = ["twentytwentythree", "twentytwentyone"]
W = "#engage-thread >> "


def wordpress_scripts() -> Path | None:
    for candidate in (os.environ.get("ENGAGE_TEST_WORDPRESS"), "/work/shared/wordpress",
                      Path(__file__).resolve().parents[3] / "shared" / "wordpress"):
        if candidate and (Path(candidate) / "wp-up.sh").exists():
            return Path(candidate)
    return None


@pytest.fixture(scope="session")
def wordpress() -> Path:
    """A running WordPress; wp-up.sh is idempotent (about 2 s when it runs already)."""
    scripts = wordpress_scripts()
    problem = None
    if scripts is None:
        problem = "../shared/wordpress/wp-up.sh not found (set ENGAGE_TEST_WORDPRESS)"
    elif os.geteuid() != 0:
        problem = "wp-up.sh needs root"
    else:
        result = subprocess.run(["bash", str(scripts / "wp-up.sh")], capture_output=True,
                                text=True, timeout=600)
        if result.returncode != 0:
            problem = f"wp-up.sh failed: {result.stdout[-2000:]}{result.stderr[-2000:]}"
    if problem:
        if IN_CI:
            pytest.fail(f"CI=true but WordPress cannot run: {problem}")
        pytest.skip(problem)
    assert scripts is not None
    return scripts


def php(scripts: Path, code: str) -> Any:
    """Run PHP inside WordPress (wp-bootstrap.php); what the code echoes is JSON."""
    script = "<?php\nrequire getenv('WP_BOOTSTRAP');\n" + textwrap.dedent(code)
    result = subprocess.run(["php", "-d", "display_errors=stderr", "--"], input=script,
                            capture_output=True, text=True, timeout=60,
                            env={**os.environ, "WP_BOOTSTRAP": str(scripts / "wp-bootstrap.php")})
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout) if result.stdout.strip() else None


Form = dict[str, str] | list[tuple[str, str]]


def request(url: str, data: Form | None = None,
            cookies: dict[str, str] | None = None) -> tuple[int, Message, str]:
    """The status, headers and body of a GET (or a POST of data), with cookies if given."""
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=body, headers=headers),
                                    timeout=30) as answer:
            return answer.status, answer.headers, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def fetch(url: str, data: Form | None = None,
          cookies: dict[str, str] | None = None) -> tuple[int, str]:
    status, _, body = request(url, data, cookies)
    return status, body


def login_cookies(scripts: Path, login: str = "admin") -> dict[str, str]:
    """The cookies WordPress's login gives a user (its form's redirect proved flaky under load)."""
    return php(scripts, f"""
        $user = get_user_by('login', {login!r});
        $until = time() + HOUR_IN_SECONDS;
        echo json_encode(array(
            'wordpress_' . COOKIEHASH => wp_generate_auth_cookie($user->ID, $until, 'auth'),
            'wordpress_logged_in_' . COOKIEHASH => wp_generate_auth_cookie($user->ID, $until, 'logged_in'),
        ));""")


@pytest.fixture
def engage_server(app) -> Iterator[dict[str, Any]]:
    counts_requests: list[str] = []

    def counting(environ: dict[str, Any], start_response: Any) -> Any:
        if environ["PATH_INFO"] == "/api/v1/counts":
            counts_requests.append(environ["QUERY_STRING"])
        return app(environ, start_response)

    server, url = serve(counting)
    try:
        yield {"url": url, "server": server, "counts_requests": counts_requests}
    finally:
        server.shutdown()


@pytest.fixture
def site(wordpress, engage_server, app):
    """An engage site registered for WordPress's origin, the plugin installed from engage's zip
    and configured, WordPress's transients cleared."""
    make_site("lejourpile", origins=(WP,), spam_min_seconds=0)
    make_site("sans-origine", origins=("https://ailleurs.example",))
    db.session.commit()
    with urllib.request.urlopen(f"{engage_server['url']}/wordpress/engage-comments.zip") as answer:
        archive = zipfile.ZipFile(io.BytesIO(answer.read()))
    shutil.rmtree(PLUGINS / "engage-comments", ignore_errors=True)
    archive.extractall(PLUGINS)
    # The zip's fixed file times would let PHP's opcache keep an earlier test's server.php.
    for path in (PLUGINS / "engage-comments").rglob("*"):
        os.utime(path)
    # The zip names this engage server (the settings page's default URL); each test has its
    # own port, and PHP's opcache may keep server.php up to 2 s: the URL is set as an admin would.
    server_php = (PLUGINS / "engage-comments" / "server.php").read_text()
    assert f"return '{engage_server['url']}';" in server_php
    php(wordpress, f"""
        require_once ABSPATH . 'wp-admin/includes/plugin.php';
        $result = activate_plugin('engage-comments/engage-comments.php');
        if (is_wp_error($result)) {{ fwrite(STDERR, $result->get_error_message()); exit(1); }}
        update_option('engage_comments', array('site_key' => 'lejourpile', 'url' => {engage_server['url']!r}));
        global $wpdb;
        $wpdb->query("DELETE FROM {{$wpdb->options}} WHERE option_name LIKE '%engage\\\\_%' AND option_name <> 'engage_comments'");
    """)
    yield {"wordpress": wordpress, "engage": engage_server["url"],
           "counts_requests": engage_server["counts_requests"]}
    php(wordpress, """
        require_once ABSPATH . 'wp-admin/includes/plugin.php';
        deactivate_plugins('engage-comments/engage-comments.php');
        delete_option('engage_comments');
    """)


def new_post(scripts: Path, theme: str, title: str) -> dict[str, Any]:
    """A published post with two native WordPress comments; its permalink and article id."""
    return php(scripts, f"""
        switch_theme({theme!r});
        add_filter('notify_moderator', '__return_false');
        add_filter('notify_post_author', '__return_false');
        $id = wp_insert_post(array('post_title' => {title!r}, 'post_status' => 'publish',
            'post_content' => '<!-- wp:paragraph --><p>Le texte de l’article.</p><!-- /wp:paragraph -->',
            'comment_status' => 'open'));
        foreach (array('Premier commentaire natif', 'Second commentaire natif') as $text) {{
            wp_insert_comment(array('comment_post_ID' => $id, 'comment_content' => $text,
                'comment_author' => 'Ancien lecteur', 'comment_approved' => 1));
        }}
        echo json_encode(array('id' => $id, 'url' => get_permalink($id),
            'article' => engage_comments_article($id)));
    """)


def engage_comments(article: str, *bodies: str) -> None:
    from engage.models import Site

    site = db.session.scalar(select(Site).where(Site.key == "lejourpile"))
    thread = make_thread(site, article)
    for body in bodies:
        make_comment(thread, body, author="Lectrice engage")
    db.session.commit()


@pytest.mark.parametrize("theme", THEMES)
def test_post_page_holds_engage_comments_in_its_html_and_no_native_form(site, theme):
    post = new_post(site["wordpress"], theme, f"Budget : le débat ({theme})")
    engage_comments(post["article"], "Un avis publié sur engage", "Un second avis")

    status, html = fetch(post["url"])  # as a crawler, or a reader without JavaScript

    assert status == 200
    assert post["article"].startswith("/20") and post["article"].endswith("/")
    assert f'data-engage-article="{post["article"]}"' in html
    assert "Un avis publié sur engage" in html and "Un second avis" in html
    assert 'itemtype="https://schema.org/Comment"' in html
    assert f'src="{site["engage"]}/embed.js" data-engage-site="lejourpile"' in html
    assert 'id="commentform"' not in html and "Premier commentaire natif" not in html
    # WordPress's own comment endpoint refuses: commenting is closed there.
    status, _ = fetch(f"{WP}/wp-comments-post.php", {
        "comment_post_ID": str(post["id"]), "author": "Robot", "email": "r@example.org",
        "comment": "Pourriel par la porte de derrière"})
    assert status == 403
    spam = php(site["wordpress"], f"""
        echo json_encode(get_comments(array('post_id' => {post['id']}, 'search' => 'Pourriel',
            'status' => 'all', 'count' => true)));""")
    assert spam == 0


def test_counts_in_the_feed_and_a_listing_come_from_engage_in_one_request(site):
    posts = [new_post(site["wordpress"], "twentytwentyone", f"Les comptes d’engage n°{i}")
             for i in range(3)]
    for i, post in enumerate(posts):
        engage_comments(post["article"], *[f"Avis {n}" for n in range(i + 3)])
    site["counts_requests"].clear()

    _, feed = fetch(f"{WP}/feed/")
    listing = php(site["wordpress"], """
        // A listing page's query, as the theme's loop runs it.
        $query = new WP_Query(array('posts_per_page' => 3, 'post_type' => 'post'));
        $counts = array();
        foreach ($query->posts as $post) { $counts[get_permalink($post)] = get_comments_number($post); }
        echo json_encode($counts);""")

    for i, post in enumerate(posts):
        assert listing[post["url"]] == i + 3  # engage's count, not WordPress's 2
    assert "<slash:comments>5</slash:comments>" in feed
    # The feed's posts in one request, the listing's from the cache: no request per post.
    assert len(site["counts_requests"]) == 1, site["counts_requests"]


def test_an_engage_outage_keeps_the_last_comments_in_the_page(site, engage_server):
    post = new_post(site["wordpress"], "twentytwentythree", "Panne d’engage")
    engage_comments(post["article"], "Un avis d’avant la panne")
    assert "Un avis d’avant la panne" in fetch(post["url"])[1]

    engage_server["server"].shutdown()  # engage is gone, and the minute's copy too
    php(site["wordpress"], """
        global $wpdb;
        $wpdb->query("DELETE FROM {$wpdb->options} WHERE option_name LIKE '%transient%engage%'");
    """)
    status, html = fetch(post["url"])

    assert status == 200  # the article is served, engage or not
    assert "Un avis d’avant la panne" in html  # from the last good copy


@pytest.mark.browser
@pytest.mark.parametrize("theme", THEMES)
def test_a_reader_comments_from_the_post_page(site, theme, page):
    post = new_post(site["wordpress"], theme, f"Commenter depuis WordPress ({theme})")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(post["url"])
    page.locator(W + "form.compose textarea[name=body]").wait_for()

    page.fill(W + "textarea[name=body] >> nth=0", "Posté depuis la page WordPress")
    page.fill(W + "input[name=author] >> nth=0", "Lectrice WP")
    page.click(W + "button[type=submit] >> nth=0")
    page.locator(W + "li.comment", has_text="Posté depuis la page WordPress").wait_for()
    screenshot(page, f"wordpress-{theme}")

    db.session.rollback()
    stored = db.session.scalars(select(Comment)).all()
    assert [c.body_source for c in stored] == ["Posté depuis la page WordPress"]
    page.reload()
    page.locator(W + "li.comment", has_text="Posté depuis la page WordPress").wait_for()


@pytest.mark.browser
def test_connection_test_says_which_origin_to_register(site, page):
    php(site["wordpress"], "update_option('engage_comments', array('site_key' => 'sans-origine', "
                           f"'url' => {site['engage']!r}));")
    # Offline, the admin bar's Gravatar cannot load.
    page.expected_problems.append("ERR_NAME_NOT_RESOLVED")
    cookies = login_cookies(site["wordpress"])
    page.context.add_cookies([{"name": k, "value": v, "url": WP} for k, v in cookies.items()])
    settings = f"{WP}/wp-admin/options-general.php?page=engage-comments"
    page.goto(settings)
    assert page.locator("#engage_comments_url").input_value() == site["engage"]

    page.get_by_role("button", name="Tester la connexion").click()

    notice = page.locator(".notice-error")
    notice.wait_for()
    assert f"engage site set sans-origine origin={WP}" in notice.inner_text()
    screenshot(page, "wordpress-settings")
    php(site["wordpress"], "update_option('engage_comments', array('site_key' => 'lejourpile', "
                           f"'url' => {site['engage']!r}));")
    page.get_by_role("button", name="Tester la connexion").click()
    page.locator(".notice-success", has_text="Connecté").wait_for()


def test_old_comments_exported_by_wordpress_and_imported_show_on_the_post(site, runner, tmp_path):
    # The owner's path: Outils → Exporter, then `engage import wordpress` on that file.
    post = new_post(site["wordpress"], "twentytwentyone", "Un article aux anciens commentaires")
    export = tmp_path / "export.xml"
    php(site["wordpress"], f"""
        require_once ABSPATH . 'wp-admin/includes/export.php';
        ob_start();
        export_wp(array('content' => 'post'));
        file_put_contents({str(export)!r}, ob_get_clean());
    """)

    result = runner.invoke(args=["import", "wordpress", str(export), "--site", "lejourpile"])

    assert result.exit_code == 0, result.output
    db.session.rollback()
    imported = {c.body_source for c in db.session.scalars(select(Comment))}
    assert {"Premier commentaire natif", "Second commentaire natif"} <= imported
    # The plugin gives the post the article id the import gave its comments.
    status, html = fetch(post["url"])
    assert status == 200 and "Premier commentaire natif" in html and "Second commentaire natif" in html


def test_deactivating_and_uninstalling_give_wordpress_its_comments_back(site):
    post = new_post(site["wordpress"], "twentytwentyone", "Un article rendu à WordPress")
    engage_comments(post["article"], "Un avis sur engage")
    assert "Premier commentaire natif" not in fetch(post["url"])[1]

    left = php(site["wordpress"], f"""
        require_once ABSPATH . 'wp-admin/includes/plugin.php';
        deactivate_plugins('engage-comments/engage-comments.php');
        define('WP_UNINSTALL_PLUGIN', 'engage-comments/engage-comments.php');
        include WP_PLUGIN_DIR . '/engage-comments/uninstall.php';
        global $wpdb;
        echo json_encode(array(
            'option' => get_option('engage_comments', null),
            'cached' => (int) $wpdb->get_var("SELECT COUNT(*) FROM {{$wpdb->options}} WHERE option_name LIKE '%engage\\\\_%'"),
            'comments' => (int) get_comments_number({post['id']}),
            'open' => comments_open({post['id']}),
        ));""")

    assert left == {"option": None, "cached": 0, "comments": 2, "open": True}
    status, html = fetch(post["url"])
    assert status == 200 and "Premier commentaire natif" in html and 'id="commentform"' in html


def test_plugin_defends_the_posts_it_writes_into(site):
    found = php(site["wordpress"], """
        // What comes back from engage is filtered to the fragment's own elements.
        $fragment = '<section class="engage-static" lang="fr" data-engage-static><ol><li id="comment-1" itemscope itemtype="https://schema.org/Comment"><script>alert(1)</script><a href="javascript:alert(1)" onclick="x()">lien</a><time datetime="2026-12-02">2 décembre</time></li></ol></section>';
        $kept = wp_kses($fragment, engage_comments_fragment_html());
        // A URL with a query or user info is refused, the stored one kept.
        require_once ABSPATH . 'wp-admin/includes/template.php';  // add_settings_error()
        $before = engage_comments_stored()['url'];
        $sanitized = engage_comments_sanitize(array('url' => 'http://169.254.169.254/latest/meta-data/?x=', 'site_key' => 'lejourpile'));
        $userinfo = engage_comments_sanitize(array('url' => 'https://user:pw@engage.example.org', 'site_key' => 'lejourpile'));
        // engage down: one failed /counts, then a minute without asking again.
        update_option('engage_comments', array('site_key' => 'lejourpile', 'url' => 'http://127.0.0.1:9'));
        delete_transient('engage_counts_down');
        engage_comments_fetch_counts(array('/2026/12/un/'));
        $down = (bool) get_transient('engage_counts_down');
        echo json_encode(array('kept' => $kept, 'url' => $sanitized['url'], 'before' => $before,
            'userinfo' => $userinfo['url'], 'down' => $down));
    """)

    assert "<script" not in found["kept"] and "javascript:" not in found["kept"]
    assert "onclick" not in found["kept"]
    assert 'itemtype="https://schema.org/Comment"' in found["kept"]
    assert 'datetime="2026-12-02"' in found["kept"] and "data-engage-static" in found["kept"]
    assert found["url"] == found["before"] == found["userinfo"] == site["engage"]
    assert found["down"] is True


# Single sign-on: the plugin signs the logged-in WordPress user for engage.

SSO = re.compile(r'data-engage-sso="([^"]*)"')


@pytest.fixture
def wordpress_user(site) -> Iterator[Any]:
    """make(login, role, display_name, email): a WordPress user, deleted after the test."""
    made: list[int] = []

    def make(login: str, role: str, display_name: str, email: str) -> int:
        user_id = php(site["wordpress"], f"""
            require_once ABSPATH . 'wp-admin/includes/user.php';
            $left = get_user_by('login', {login!r});  // from a run that was interrupted
            if ($left) {{ wp_delete_user($left->ID); }}
            $id = wp_insert_user(array('user_login' => {login!r}, 'user_pass' => wp_generate_password(),
                'role' => {role!r}, 'display_name' => json_decode({json.dumps(display_name)!r}),
                'user_email' => {email!r}));
            if (is_wp_error($id)) {{ fwrite(STDERR, $id->get_error_message()); exit(1); }}
            echo json_encode($id);""")
        made.append(user_id)
        return user_id

    yield make
    php(site["wordpress"], f"""
        require_once ABSPATH . 'wp-admin/includes/user.php';
        foreach (json_decode({json.dumps(made)!r}) as $id) {{ wp_delete_user($id); }}""")


def engage_site():
    from engage.models import Site

    return db.session.scalar(select(Site).where(Site.key == "lejourpile"))


def engage_sso_secret() -> str:
    """The site's SSO secret, as `engage site sso lejourpile --rotate` prints it."""
    secret = sso.rotate_secret(engage_site())
    db.session.commit()
    return secret


def configure(scripts: Path, **settings: Any) -> None:
    """Settings merged into the plugin's option, as the settings page would store them."""
    php(scripts, f"""
        $option = array_merge(get_option('engage_comments'), json_decode({json.dumps(settings)!r}, true));
        update_option('engage_comments', $option);""")


def container_token(html: str) -> str | None:
    container = re.search(r'<div id="engage-thread"[^>]*>', html)
    assert container, html[-2000:]
    token = SSO.search(container.group())
    return token.group(1) if token else None


@pytest.mark.parametrize("theme", THEMES)
def test_a_logged_in_user_of_a_badge_role_is_signed_in_on_engage(site, wordpress_user, theme):
    configure(site["wordpress"], sso_secret=engage_sso_secret(), badge_roles=["author"])
    name = "Zoé « la Plume » d’Arc & Cie"
    user_id = wordpress_user(f"plume-{theme}", "author", name, f"zoe.{theme}@lejourpile.fr")
    post = new_post(site["wordpress"], theme, f"Signé par WordPress ({theme})")

    status, headers, html = request(post["url"], cookies=login_cookies(site["wordpress"],
                                                                         f"plume-{theme}"))

    assert status == 200
    token = container_token(html)
    assert token
    account = sso.verify(engage_site(), token)
    assert account.name == name  # WordPress stores "&amp;": the token carries the name itself
    assert account.badge == "Abonné"  # the default badge, in the site's language
    assert account.email == f"zoe.{theme}@lejourpile.fr"
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["sub"] == str(user_id)
    assert claims["exp"] - claims["iat"] == 2 * 3600 and abs(claims["iat"] - time.time()) < 60
    # The page is this user's: WordPress itself keeps it out of caches.
    assert "no-cache" in headers["Cache-Control"] and "max-age=0" in headers["Cache-Control"]


def test_a_logged_in_user_without_a_badge_role_is_signed_in_with_no_badge(site, wordpress_user):
    configure(site["wordpress"], sso_secret=engage_sso_secret(), badge_roles=["author"])
    name = "Jean-Édouard de La Rochefoucauld-Montbel, correspondant à Saint-Étienne-du-Rouvray"
    user_id = wordpress_user("lecteur-sso", "subscriber", name, "lecteur-sso@lejourpile.fr")
    php(site["wordpress"], f"""
        global $wpdb;  // an address WordPress let in long ago, that engage would refuse
        $wpdb->update($wpdb->users, array('user_email' => 'lecteur@localhost'), array('ID' => {user_id}));
        clean_user_cache({user_id});""")
    post = new_post(site["wordpress"], "twentytwentythree", "Signé, sans badge")

    _, html = fetch(post["url"], cookies=login_cookies(site["wordpress"], "lecteur-sso"))

    account = sso.verify(engage_site(), container_token(html) or "")
    assert len(name) > 64 and account.name == name[:64].strip()
    assert account.badge is None and account.email is None


def test_no_token_for_a_visitor_or_without_a_secret(site, wordpress_user):
    configure(site["wordpress"], sso_secret=engage_sso_secret(), badge_roles=["subscriber"])
    wordpress_user("sans-secret", "subscriber", "Sans Secret", "sans-secret@lejourpile.fr")
    post = new_post(site["wordpress"], "twentytwentyone", "Sans jeton")

    visitor = fetch(post["url"])[1]
    configure(site["wordpress"], sso_secret="")
    signed_in = fetch(post["url"], cookies=login_cookies(site["wordpress"], "sans-secret"))[1]

    assert container_token(visitor) is None and "data-engage-sso" not in visitor
    assert container_token(signed_in) is None and "data-engage-sso" not in signed_in


def test_the_wp_config_constant_wins_over_the_stored_secret(site, wordpress_user):
    secret = engage_sso_secret()
    configure(site["wordpress"], sso_secret="sso_stored-on-the-settings-page-0123")
    user_id = wordpress_user("constante", "editor", "Constance", "constance@lejourpile.fr")

    found = php(site["wordpress"], f"""
        define('ENGAGE_SSO_SECRET', {secret!r});
        wp_set_current_user({user_id});
        ob_start();
        engage_comments_field_sso_secret();
        echo json_encode(array('token' => engage_comments_sso_token(), 'field' => ob_get_clean()));""")

    assert sso.verify(engage_site(), found["token"]).name == "Constance"
    assert "ENGAGE_SSO_SECRET" in found["field"] and "<input" not in found["field"]
    assert secret not in found["field"] and "stored-on-the-settings-page" not in found["field"]


def settings_form(html: str) -> dict[str, str]:
    """The hidden fields of the settings page's form (its nonce among them)."""
    form = html[html.index('action="options.php"'):]
    fields = {}
    # WordPress quotes these attributes with ' in settings_fields(), with " in wp_nonce_field().
    for tag in re.findall(r"""<input type=['"]hidden['"][^>]*>""", form[:form.index("</form>")]):
        name, value = (re.search(rf"""\b{a}=['"]([^'"]*)""", tag) for a in ("name", "value"))
        assert name and value, tag
        fields[name.group(1)] = value.group(1)
    return fields


def test_settings_page_takes_the_secret_badge_and_roles_and_never_shows_the_secret(site):
    secret = engage_sso_secret()
    admin = login_cookies(site["wordpress"])
    page = f"{WP}/wp-admin/options-general.php?page=engage-comments"

    def save(secret_field: str, *extra: tuple[str, str]) -> str:
        fields = [*settings_form(fetch(page, cookies=admin)[1]).items(),
                  ("engage_comments[url]", site["engage"]),
                  ("engage_comments[site_key]", "lejourpile"),
                  ("engage_comments[sso_secret]", secret_field),
                  ("engage_comments[badge]", "  Abonnée <b>premium</b>  "), *extra]
        status, html = fetch(f"{WP}/wp-admin/options.php", fields, cookies=admin)
        assert status == 200, html[-2000:]  # the settings page, where options.php redirects
        return html

    def stored() -> dict[str, Any]:
        return php(site["wordpress"], "echo json_encode(get_option('engage_comments'));")

    before = fetch(page, cookies=admin)[1]
    assert "Authentification unique" in before and 'value="Abonné"' in before
    assert "engage site sso lejourpile --rotate" in before

    after = save(secret, ("engage_comments[badge_roles][]", "author"),
                 ("engage_comments[badge_roles][]", "pirate"),
                 ("engage_comments[badge_roles][]", "editor"))
    option = stored()
    assert option["site_key"] == "lejourpile" and option["sso_secret"] == secret
    assert option["badge"] == "Abonnée premium"  # trimmed, without the markup
    assert option["badge_roles"] == ["editor", "author"]  # the site's roles only
    assert secret not in after and "Un secret est enregistré." in after
    assert re.search(r'value="author"\s+checked', after) and 'value="Abonnée premium"' in after

    kept = save("")  # an empty field keeps the secret; no role ticked is no role
    assert stored()["sso_secret"] == secret and stored()["badge_roles"] == []
    assert secret not in kept

    refused = save("pas un secret")
    assert stored()["sso_secret"] == secret and "n’a pas changé" in refused

    save("", ("engage_comments[sso_forget]", "1"))
    assert stored()["sso_secret"] == ""
