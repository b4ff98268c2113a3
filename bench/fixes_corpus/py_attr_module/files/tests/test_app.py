import app


def test_floor_area():
    assert app.floor_area([(2, 3), (4, 5)]) == 26
