import app


def test_fetch_status():
    assert app.fetch_status("http://example.org/") == 200
