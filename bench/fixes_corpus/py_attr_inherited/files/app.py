class Animal:
    def __init__(self, name):
        self.name = name

    def describe(self):
        return f"{self.name} the {self.kind}"


class Dog(Animal):
    kind = "dog"

    def greet(self):
        return "Woof! " + self.descibe()


def main():
    print(Dog("Rex").greet())
