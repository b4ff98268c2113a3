import app


def test_register():
    assert app.register("ada", "a@b")["email"] == "a@b"
