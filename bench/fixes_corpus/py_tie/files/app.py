def span(left, lift):
    return lft - left + lift


def main():
    print(span(1, 2))
