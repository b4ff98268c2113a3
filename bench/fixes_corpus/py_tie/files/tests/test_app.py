import app


def test_span():
    assert app.span(1, 2) == 2
