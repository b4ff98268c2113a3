import app


def test_greet():
    assert app.Dog("Rex").greet() == "Woof! Rex the dog"
