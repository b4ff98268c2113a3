# autotriage's container image: `docker build -t autotriage .`
#
#   docker run autotriage                 # the server (`autotriage serve`, 0.0.0.0:3000)
#   docker run autotriage worker          # a worker alone (`autotriage worker`)
#   docker run autotriage scan --since 1h # one scan of a pull source
#
# BASE_IMAGE may be any Debian-based image with python3 (3.11+) and its venv module: the
# official python image by default, or a locally built one where no registry is
# reachable (tests/e2e/docker builds one with debootstrap). Configuration comes from the
# environment exactly as for a local install (.env.example lists every variable).
ARG BASE_IMAGE=python:3.11-slim-bookworm

FROM ${BASE_IMAGE} AS build
# pip verifies downloads against the system CA bundle (some networks re-sign TLS).
ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_CONSTRAINT=/src/constraints.txt
# Dependencies first, in their own layer: source edits do not re-download them.
COPY pyproject.toml constraints.txt /src/
RUN cd /src && python3 -m venv /opt/venv \
 && python3 -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > requirements.txt \
 && /opt/venv/bin/pip install -r requirements.txt
# .dockerignore lets in only pyproject.toml, constraints.txt, README.md and src/.
COPY . /src/
RUN /opt/venv/bin/pip install --no-deps /src \
 && /opt/venv/bin/python -m compileall -q /opt/venv/lib

FROM ${BASE_IMAGE}
# Metadata first and the package last: on a copy-on-nothing storage driver (vfs, as in
# CI) every step copies the whole filesystem, so the steps after the one layer that
# changes with the source must be few.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOST=0.0.0.0 \
    PORT=3000
EXPOSE 3000
# A worker-only container has no HTTP port: compose and ECS give it its own check.
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python3", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('PORT', '3000'), timeout=4)"]
ENTRYPOINT ["autotriage"]
CMD ["serve"]
WORKDIR /app
# Analysis mirrors repositories with git; a missing useradd falls back to writing the
# account directly.
RUN if ! command -v git >/dev/null; then \
      apt-get update && apt-get install -y --no-install-recommends git \
      && rm -rf /var/lib/apt/lists/*; \
    fi \
 && if command -v useradd >/dev/null; then \
      useradd --uid 10001 --user-group --home-dir /app --no-create-home --shell /usr/sbin/nologin autotriage; \
    else \
      echo 'autotriage:x:10001:10001::/app:/usr/sbin/nologin' >> /etc/passwd \
      && echo 'autotriage:x:10001:' >> /etc/group; \
    fi \
 && mkdir -p /app/data && chown -R 10001:10001 /app
USER autotriage
COPY --from=build /opt/venv /opt/venv
