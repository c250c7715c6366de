FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY pyproject.toml README.md alembic.ini ./
COPY registry ./registry
COPY migrations ./migrations
COPY seed ./seed
RUN pip install --no-cache-dir -e .
EXPOSE 8000
# migrate, seed (idempotent), then serve
CMD ["sh", "-c", "registry db upgrade && registry seed && registry serve --host 0.0.0.0 --port 8000 --workers 2"]
