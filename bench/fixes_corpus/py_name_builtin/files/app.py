def count_words(text):
    words = text.split()
    return lenn(words)


def main():
    print(count_words("a b c"))
