# Production image of the Partnership Registry.
#
# One image for every process: gunicorn (the default command), the Celery
# worker and Celery beat (docker-compose.yml overrides the command).
# All configuration comes from the environment at run time; nothing secret is
# built into the image.

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv

# Pango (and its fonts) for the transparency reports' PDFs (WeasyPrint).
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

# uv from PyPI, pinned: the same version that wrote uv.lock.
RUN pip install --no-cache-dir uv==0.13.9

# The processes run as this user; the code and the virtualenv stay owned by
# root, so the application cannot modify them.
RUN groupadd --system app \
    && useradd --system --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app

WORKDIR /app

# Dependencies first: this layer is rebuilt only when pyproject.toml or uv.lock change.
COPY pyproject.toml uv.lock ./
RUN uv sync --locked --no-dev

COPY . .

ENV PATH="/app/.venv/bin:$PATH" \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    VAR_DIR=/app/var

# Static files are collected into /app/var/staticfiles at build time and served
# by whitenoise; the translations are compiled (locale/*/LC_MESSAGES/django.mo). The production settings require SECRET_KEY and ALLOWED_HOSTS
# even for collectstatic: throwaway values, set for this one command only and
# never persisted as ENV.
RUN SECRET_KEY=collectstatic-build-only-not-a-secret \
    ALLOWED_HOSTS=localhost \
    sh -c "python manage.py collectstatic --noinput && python manage.py translations compile"

# Writable by the application: uploaded documents (MEDIA_ROOT), the beat
# schedule and the audit log's last checkpoint (AUDIT_HEAD_FILE). Named volumes
# mounted here start with this ownership.
RUN mkdir -p /app/var/media /app/var/beat /app/var/audit \
    && chown app:app /app/var /app/var/media /app/var/beat /app/var/audit

USER app

EXPOSE 8000

CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
