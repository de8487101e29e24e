# ppcdbg: the debug service (REST + WebSocket) in a container.
#   docker build -t ppcdbg .
#   docker run -p 8000:8000 -e PPCDBG_API_TOKENS=me:secret -v ppcdbg-data:/data ppcdbg
# The server listens on 0.0.0.0:8000 inside the container and keeps its SQLite database
# in /data; add --demo (or PPCDBG_DEMO=1) to preload the SMP demo session.

# -- assets: the dashboard's browser libraries from npm (served by ppcdbg, no CDN) -------
FROM node:20-slim AS assets
WORKDIR /src
COPY package.json package-lock.json ./
COPY service/dashboard/vendor.sh ./service/dashboard/
RUN sh service/dashboard/vendor.sh

# -- build: a virtualenv with ppcdbg and its dependencies ------------------------------
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY engine ./engine
COPY service ./service
COPY --from=assets /src/service/dashboard/vendor ./service/dashboard/vendor
COPY examples ./examples
RUN python -m venv /opt/ppcdbg \
    && /opt/ppcdbg/bin/pip install --upgrade pip \
    && /opt/ppcdbg/bin/pip install .

# -- runtime: the virtualenv, the examples, a non-root user ------------------------------
FROM python:3.11-slim
# The native engine (--engine native) compiles hot blocks with the C compiler at run time
# (the image has Python's headers); its code is kept in ~/.cache/ppcdbg/native, under /data.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --system --uid 10001 --home-dir /data --create-home ppcdbg
COPY --from=build /opt/ppcdbg /opt/ppcdbg
# The examples (the demo and the dashboard's four) are package data of the install.
ENV PATH=/opt/ppcdbg/bin:$PATH \
    PPCDBG_HOST=0.0.0.0 \
    PPCDBG_PORT=8000 \
    PPCDBG_DATABASE=/data/ppcdbg.sqlite3 \
    PYTHONUNBUFFERED=1
USER ppcdbg
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"
ENTRYPOINT ["ppcdbg", "serve"]
