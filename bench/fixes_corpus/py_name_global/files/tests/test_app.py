import app


def test_with_tax():
    assert app.with_tax(10) == 12.0
