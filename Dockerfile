# SetGet AI bot: one image for every role (`serve slack --http`, `serve discord`, `db upgrade`,
# any other `setget-bot` command). SQLite in the /data volume by default; set
# SETGET_DATABASE_URL=postgresql://... to run several replicas on one database (compose.yaml).
#
#   docker build -t setget-bot .
#   docker run --rm -v setget-data:/data setget-bot db upgrade          # once, then after upgrades
#   docker run -d -v setget-data:/data -p 3000:3000 --env-file .env setget-bot

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY core ./core
COPY adapters ./adapters
COPY bot ./bot
RUN python -m venv /opt/setget && /opt/setget/bin/pip install .

FROM python:3.11-slim
RUN useradd --system --uid 10001 --user-group --home-dir /data --shell /usr/sbin/nologin setget \
    && mkdir -p /data && chown setget:setget /data
COPY --from=build /opt/setget /opt/setget
ENV PATH=/opt/setget/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    XDG_DATA_HOME=/data \
    SETGET_DATABASE_URL=sqlite:////data/setget.db \
    SETGET_LOG_FORMAT=json \
    SETGET_LOG_LEVEL=info \
    HEALTHCHECK_URL=http://127.0.0.1:3000/healthz
VOLUME ["/data"]
WORKDIR /data
USER setget
EXPOSE 3000
# Liveness of the default command; compose.yaml sets HEALTHCHECK_URL per service.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(os.environ['HEALTHCHECK_URL'], timeout=4)"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["setget-bot"]
CMD ["serve", "slack", "--http", "--port", "3000"]
