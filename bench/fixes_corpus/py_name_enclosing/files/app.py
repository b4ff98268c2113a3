def scaler(factor):
    def scale(value):
        return value * factr

    return scale


def main():
    print(scaler(3)(2))
