import app


def test_hit():
    counter = app.Counter()
    counter.hit()
    assert counter.hit() == 2
