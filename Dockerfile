# autotriage's container image: `docker build -t autotriage .`
#
#   docker run autotriage                 # the server (`autotriage serve`, 0.0.0.0:3000)
#   docker run autotriage worker          # a worker alone (`autotriage worker`)
#   docker run autotriage scan --since 1h # one scan of a pull source
#
# BASE_IMAGE may be any Debian-based image with python3 (3.11+) and its venv module: the
# official python image by default (python3 in /usr/local/bin), or a locally made one
# where no registry is reachable (CI imports a debootstrap of bookworm, python3 in
# /usr/bin; see .ci/docker). Both stages use the same base, so the venv made from
# whatever `python3` it has points at an interpreter the final stage also has.
# Configuration comes from the environment exactly as for a local install.
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
 && /opt/venv/bin/pip install --quiet -r requirements.txt \
 && /opt/venv/bin/pip freeze --all > runtime.txt \
 && /opt/venv/bin/pip install --quiet hatchling
# .dockerignore lets in only pyproject.toml, constraints.txt, README.md and src/.
COPY . /src/
# The package itself (built by the hatchling installed above: no download here), then
# the installers go: the image runs autotriage, it does not install things.
RUN /opt/venv/bin/pip install --quiet --no-deps --no-build-isolation /src \
 && /opt/venv/bin/pip freeze --all --exclude-editable | grep -vxFf /src/runtime.txt | grep -v '^autotriage' \
    | xargs -r /opt/venv/bin/pip uninstall --quiet --yes \
 && /opt/venv/bin/pip uninstall --quiet --yes pip \
 && /opt/venv/bin/python -m compileall -q /opt/venv/lib

FROM ${BASE_IMAGE}
# The slow step (apt) first, the venv last: every step between depends only on the base
# and this file, so a source change rebuilds the last step alone. (On the vfs storage
# driver each step copies the whole filesystem: the steps rebuilt are what a build costs.)
# git (the analysis mirrors repositories) and tini, when the base lacks them; then the
# unprivileged account (written directly when the base has no useradd).
RUN if ! command -v git >/dev/null || ! command -v tini >/dev/null; then \
      apt-get update -qq \
      && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends git tini >/dev/null \
      && apt-get clean && rm -rf /var/lib/apt/lists/*; \
    fi \
 && if command -v useradd >/dev/null; then \
      useradd --uid 10001 --user-group --home-dir /app --no-create-home --shell /usr/sbin/nologin autotriage; \
    else \
      echo 'autotriage:x:10001:10001::/app:/usr/sbin/nologin' >> /etc/passwd \
      && echo 'autotriage:x:10001:' >> /etc/group; \
    fi \
 && mkdir -p /app/data && chown -R 10001:10001 /app
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOST=0.0.0.0 \
    PORT=3000 \
    HOME=/app
EXPOSE 3000
# GET /health on $PORT: 503 when the database does not answer or the in-process worker
# died. A worker-only container has no HTTP port: compose and ECS check it with
# `autotriage worker --check` instead.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python3", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('PORT', '3000'), timeout=4)"]
# tini as PID 1: it hands SIGTERM to autotriage and reaps the git processes the analysis
# leaves behind. After draining, uvicorn re-raises the SIGTERM it caught, so a clean stop
# ends as 143; `-e 143` reports it as 0 (a SIGKILL still shows as 137).
ENTRYPOINT ["tini", "-e", "143", "--", "autotriage"]
CMD ["serve"]
WORKDIR /app
USER autotriage
COPY --from=build /opt/venv /opt/venv
