import os


def auth_header():
    prefix = "token "
    return prefx + os.environ["GITHUB_TOKEN"]


def main():
    print(auth_header())
