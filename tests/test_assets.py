"""Static files carry versioned URLs with far-future caching; text responses are compressed."""
import gzip
import re


def test_static_urls_are_versioned_and_cached_for_a_year(client, world):
    html = client.get("/login").get_data(as_text=True)
    css = re.search(r'href="(/static/css/app\.css\?v=[0-9a-f]{12})"', html).group(1)
    assert re.search(r'src="/static/vendor/htmx-2\.0\.11\.min\.js\?v=[0-9a-f]{12}"', html)
    response = client.get(css)
    assert response.status_code == 200
    assert "max-age=31536000" in response.headers["Cache-Control"] and "immutable" in response.headers["Cache-Control"]
    assert "no-cache" not in response.headers["Cache-Control"]


def test_html_is_gzipped_when_accepted(client, world):
    plain = client.get("/login")
    assert "Content-Encoding" not in plain.headers
    zipped = client.get("/login", headers={"Accept-Encoding": "gzip, br"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    page = gzip.decompress(zipped.get_data()).decode()
    assert page.startswith("<!doctype html>") and "<h1>Log in</h1>" in page
    assert len(zipped.get_data()) < len(plain.get_data()) / 2


def test_css_and_javascript_a_page_needs_stay_small(client, world):
    total = 0
    html = client.get("/login").get_data(as_text=True)
    for path in re.findall(r'(?:href|src)="(/static/[^"]+\.(?:css|js)\?v=[0-9a-f]+)"', html):
        total += len(gzip.compress(client.get(path).get_data()))
    assert total <= 40 * 1024


def test_static_css_and_javascript_are_gzipped_when_accepted(client, world):
    html = client.get("/login").get_data(as_text=True)
    for path in re.findall(r'(?:href|src)="(/static/[^"]+\.(?:css|js)\?v=[0-9a-f]+)"', html):
        plain = client.get(path)
        zipped = client.get(path, headers={"Accept-Encoding": "gzip"})
        assert "Content-Encoding" not in plain.headers
        assert zipped.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in zipped.headers["Vary"]
        assert gzip.decompress(zipped.get_data()) == plain.get_data()
        assert int(zipped.headers["Content-Length"]) == len(zipped.get_data())


def test_the_stylesheets_scripts_and_icons_of_the_heaviest_pages_stay_within_40_kb(client, world):
    """The board and the dashboard need the most: system.css, app.css, htmx, app.js and the icon sprite."""
    client.login(world.teacher)
    for page in (f"/projects/{world.project.id}", f"/courses/{world.course.id}/dashboard"):
        html = client.get(page).get_data(as_text=True)
        paths = set(re.findall(r'(?:href|src)="(/static/[^"#]+\.(?:css|js|svg)\?v=[0-9a-f]+)', html))
        assert any("system.css" in p for p in paths) and any("icons.svg" in p for p in paths)
        total = sum(len(gzip.compress(client.get(path).get_data())) for path in paths if "favicon" not in path)
        assert total <= 40 * 1024, (page, total)
