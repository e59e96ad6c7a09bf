FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends build-essential && rm -rf /var/lib/apt/lists/*
WORKDIR /srv/voiceai
COPY pyproject.toml README.md ./
COPY app ./app
COPY schema ./schema
COPY compat_rest ./compat_rest
RUN pip install --no-cache-dir .
ENV VOICEAI_DATABASE_URL=sqlite:///data/voiceai.db \
    VOICEAI_DATA_DIR=/data
VOLUME /data
EXPOSE 8000
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["voiceai", "serve", "--host", "0.0.0.0", "--port", "8000"]
