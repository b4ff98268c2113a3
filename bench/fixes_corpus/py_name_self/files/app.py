class Counter:
    def __init__(self):
        self.hits = 0

    def hit(self):
        self.hits += 1
        return hits


def main():
    print(Counter().hit())
