"""Sign in with the university account in Chromium, with and without JavaScript: the button leaves the
workspace for the provider (tests/oidc_provider.py, HTTPS on loopback) and comes back signed in."""
import re

import pytest

from workspace.config import oidc_providers

from ..oidc_provider import CLIENT_ID, CLIENT_SECRET, OIDCProvider
from .conftest import TIMEOUT_MS, assert_accessible, log_out


@pytest.fixture
def university(app, live_server, monkeypatch):
    with OIDCProvider([f"{live_server}/sso/uni/callback"]) as provider:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", provider.ca_bundle)  # the app's own calls trust it
        monkeypatch.setitem(app.config, "OIDC_PROVIDERS", oidc_providers({
            "OIDC_PROVIDERS": "uni", "OIDC_UNI_ISSUER": provider.issuer, "OIDC_UNI_CLIENT_ID": CLIENT_ID,
            "OIDC_UNI_CLIENT_SECRET": CLIENT_SECRET, "OIDC_UNI_LABEL": "University of Testing"}))
        yield provider


def test_sign_in_with_the_university_and_out_again(browser, live_server, university, js):
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    context = browser.new_context(base_url=live_server, java_script_enabled=js, ignore_https_errors=True,
                                  locale="en-GB")
    try:
        page = context.new_page()
        page.goto("/login")
        if js:
            assert_accessible(page, "login page with a university button")
        page.get_by_role("link", name="Sign in with University of Testing").click()
        expect(page).to_have_url(re.compile(r"/home$"))
        expect(page.get_by_text("You are signed in with University of Testing")).to_be_visible()
        assert [path for path, _ in university.requests if path == "/token"]  # the code went to the provider
        log_out(page)
        page.goto("/profile")
        expect(page).to_have_url(re.compile(r"/login"))
    finally:
        context.close()
