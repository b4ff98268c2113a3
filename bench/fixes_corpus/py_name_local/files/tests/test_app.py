import app


def test_total():
    assert app.total([1.5, 2.25]) == 3.75
