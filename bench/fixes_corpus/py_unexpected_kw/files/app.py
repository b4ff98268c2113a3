def make_user(name, email, admin=False):
    return {"name": name, "email": email, "admin": admin}


def register(name, address):
    return make_user(name, emial=address)


def main():
    print(register("ada", "ada@example.org"))
