from pricing import discont


def sale_price(price):
    return discont(price, 25)


def main():
    print(sale_price(80))
