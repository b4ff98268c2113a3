from tests.helpers import check_double


def test_double():
    check_double()
