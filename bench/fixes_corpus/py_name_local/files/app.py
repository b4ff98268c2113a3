def total(prices):
    subtotal = 0
    for price in prices:
        subtotal += price
    return round(subtotl, 2)


def main():
    print(total([1.5, 2.25]))
