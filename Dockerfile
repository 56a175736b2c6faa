# syntax=docker/dockerfile:1
# Backstop's container image. The runtime stage installs the packed package with its production dependencies only,
# through scripts/install-production.sh: the same steps test/package/production-install.test.ts runs in `npm test`.
# One image for every role: `serve` (the default command), `worker`, and one-shot commands (`keygen`, `list`, ...).

ARG NODE_IMAGE=node:24-bookworm-slim

# Build: compile and pack, with the development dependencies the build needs.
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build && mkdir /pkg && npm pack --ignore-scripts --pack-destination /pkg && cp package-lock.json /pkg/

# Runtime: Node, the PostgreSQL client tools of every server major Backstop backs up (13 to 18, from PostgreSQL's apt
# repository; Backstop picks the pg_dump that matches the server; --build-arg PG_MAJORS=... to choose), and the
# installed package.
FROM ${NODE_IMAGE} AS runtime
ARG PG_MAJORS="13 14 15 16 17 18"
RUN set -eux; \
    apt-get update; \
    apt-get install -y --no-install-recommends ca-certificates curl; \
    install -d /usr/share/postgresql-common/pgdg; \
    curl -fsSL -o /usr/share/postgresql-common/pgdg/apt.postgresql.org.asc \
      https://www.postgresql.org/media/keys/ACCC4CF8.asc; \
    echo "deb [signed-by=/usr/share/postgresql-common/pgdg/apt.postgresql.org.asc] https://apt.postgresql.org/pub/repos/apt bookworm-pgdg main" \
      > /etc/apt/sources.list.d/pgdg.list; \
    apt-get update; \
    apt-get install -y --no-install-recommends $(for major in $PG_MAJORS; do echo "postgresql-client-$major"; done); \
    apt-get purge -y curl; \
    apt-get autoremove -y; \
    rm -rf /var/lib/apt/lists/*
COPY scripts/install-production.sh /usr/local/lib/backstop-install.sh
RUN --mount=type=bind,from=build,source=/pkg,target=/pkg \
    sh /usr/local/lib/backstop-install.sh /pkg/backstop-*.tgz /opt/backstop /pkg/package-lock.json \
    && ln -s /opt/backstop/bin/backstop.js /usr/local/bin/backstop \
    && install -d -o node -g node /var/lib/backstop /keys /srv/app \
    && backstop version

# Not root: the image's `node` user (uid 1000). The data directory, /keys and /srv/app (for an application's media
# directory, as in compose.yaml) belong to it, so named volumes mounted there start writable; with a read-only root
# filesystem, the data directory and /tmp need volumes of their own.
USER node
WORKDIR /var/lib/backstop
ENV NODE_ENV=production \
    BACKSTOP_CONFIG=/etc/backstop/backstop.yaml \
    BACKSTOP_HEALTH_URL=http://127.0.0.1:8080/healthz
EXPOSE 8080
# `serve` answers /healthz; a `worker` has no HTTP port, so its containers turn the check off (compose.yaml does).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(process.env.BACKSTOP_HEALTH_URL, { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["backstop"]
CMD ["serve"]
