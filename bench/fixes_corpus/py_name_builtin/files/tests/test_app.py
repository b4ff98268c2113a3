import app


def test_count_words():
    assert app.count_words("a b c") == 3
