# fedianon: one image for the web process and the worker.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN useradd --system --create-home --home-dir /app fedianon
WORKDIR /app
COPY pyproject.toml README.md ./
COPY fedianon ./fedianon
COPY federation ./federation
COPY web ./web
COPY migrations ./migrations
RUN pip install --no-cache-dir . && mkdir -p /data && chown fedianon /data
USER fedianon
ENV FEDIANON_DATA_DIR=/data FEDIANON_BIND=0.0.0.0:8000
EXPOSE 8000
CMD ["fedianon", "serve"]
