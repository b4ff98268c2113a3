from cart import Cart


def checkout(prices):
    cart = Cart()
    for price in prices:
        cart.add(price)
    return cart.totl()


def main():
    print(checkout([3, 4]))
