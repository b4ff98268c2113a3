from tests.helpers import check_double

check_double()
