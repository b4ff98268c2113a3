USERS = {"ada": {"name": "Ada"}}


class User:
    def __init__(self, name):
        self.name = name


def find(login):
    row = USERS.get(login)
    return User(row["name"]) if row else None


def greeting(login):
    return "Hello " + find(login).name


def main():
    print(greeting("bob"))
