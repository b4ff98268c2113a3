def area(width, height):
    result = width * height
    return reslt


def main():
    print(area(2, 3))
