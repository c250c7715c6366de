FROM python:3.11-slim
WORKDIR /app
# Production unless told otherwise (no GraphiQL); SQLite, when no database URL is given, in /data.
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    REGISTRY_ENV=production \
    REGISTRY_DATABASE_URL=sqlite+aiosqlite:////data/registry.db
COPY pyproject.toml README.md alembic.ini ./
COPY registry ./registry
COPY migrations ./migrations
COPY seed ./seed
# Editable: the code finds alembic.ini, migrations/ and seed/ beside the package. Installed as root,
# served by an unprivileged user who can write nothing but /data.
RUN pip install --no-cache-dir -e . \
    && useradd --system --uid 10001 --home-dir /nonexistent --shell /usr/sbin/nologin registry \
    && mkdir /data && chown registry /data
USER registry
VOLUME /data
EXPOSE 8000
# migrate, seed (idempotent), then serve
CMD ["sh", "-c", "registry db upgrade && registry seed && registry serve --host 0.0.0.0 --port 8000 --workers 2"]
