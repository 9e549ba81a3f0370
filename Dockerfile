# Image for the worker and the API (docker-compose.yml). The CLIP weights are fetched by
# sentence-transformers on first use into the model-cache volume (real deployments have a hub).
FROM python:3.11.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY pyproject.toml README.md ./
COPY hybrid ./hybrid
COPY workers ./workers
COPY mappings ./mappings
COPY kibana ./kibana
RUN pip install --no-cache-dir .
EXPOSE 8000
CMD ["hybrid", "serve", "--host", "0.0.0.0", "--port", "8000"]
