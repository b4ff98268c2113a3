import app


def test_checkout():
    assert app.checkout([3, 4]) == 7
