import shapes


def floor_area(rooms):
    return sum(shapes.are(w, h) for w, h in rooms)


def main():
    print(floor_area([(2, 3), (4, 5)]))
