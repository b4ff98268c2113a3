import app


def check_double():
    expected = 4
    assert app.double(2) == expectd
