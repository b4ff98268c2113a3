import app


def test_auth_header():
    assert app.auth_header().startswith("token ")
