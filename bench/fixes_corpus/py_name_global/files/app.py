TAX_RATE = 0.2


def with_tax(amount):
    return amount * (1 + TAX_RAT)


def main():
    print(with_tax(10))
