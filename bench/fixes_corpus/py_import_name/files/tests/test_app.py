import app


def test_sale_price():
    assert app.sale_price(80) == 60
