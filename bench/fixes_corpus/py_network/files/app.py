import urllib.request


def fetch_status(url):
    timeout = 5
    with urllib.request.urlopen(url, timeout=timout) as reply:
        return reply.status


def main():
    print(fetch_status("http://example.org/"))
