def final_price(price, discount):
    discounted = price - discount
    return round(discount_, 2)


def main():
    print(final_price(10, 3))
