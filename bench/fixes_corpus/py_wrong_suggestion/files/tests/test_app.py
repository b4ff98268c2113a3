import app


def test_final_price():
    assert app.final_price(10, 3) == 7
