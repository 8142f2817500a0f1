"""Sign in with the university account: OpenID Connect single sign-on through Authlib."""
