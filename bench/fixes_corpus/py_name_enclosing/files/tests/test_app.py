import app


def test_scale():
    assert app.scaler(3)(2) == 6
