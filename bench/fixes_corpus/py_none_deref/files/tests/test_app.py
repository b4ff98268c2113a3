import app


def test_greeting():
    assert app.greeting("ada") == "Hello Ada"
