# syntax=docker/dockerfile:1
# One image for the bot (`portcullis bot`, the default command) and for the pipeline's CLI
# jobs (compliance, consistency, check-services), which clear the entrypoint and call
# `portcullis` by name. It holds the compiled JavaScript (dist/) and the production
# dependencies only: no TypeScript, no tsx, no tests; plain node runs it.

# Node.js 26, the Active LTS line (from 2026-10-28 until 2027-10-20), on Debian 13 (trixie;
# Debian 12 left security support in June 2026). Both stages use the same image so that
# better-sqlite3 is compiled for the Node that runs it. Raise the patch with Node's
# security releases.
ARG NODE_IMAGE=node:26.10.0-trixie-slim

FROM ${NODE_IMAGE} AS build
# better-sqlite3 compiles its native addon when no prebuilt binary fits this Node.
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 make g++ \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# Compiled, then the dev dependencies (typescript, tsx, test tools) dropped.
RUN npm run build \
    && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    DATABASE_PATH=/app/data/portcullis.sqlite \
    PORT=3000
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY policies ./policies
COPY terraform/groups.json ./terraform/groups.json
# Pipeline jobs clear the entrypoint to run a shell, and call `portcullis` by name.
RUN printf '#!/bin/sh\nexec node /app/bin/portcullis.js "$@"\n' > /usr/local/bin/portcullis \
    && chmod 755 /usr/local/bin/portcullis \
    && mkdir -p /app/data \
    && chown node:node /app/data
# The code stays root-owned and read-only to the process; only data/ (SQLite) is writable.
USER node
EXPOSE 3000
# The bot's liveness probe; a CLI job's container has no server, and Docker only reports it.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Exec form: node is PID 1 and receives SIGTERM itself, for the bot's clean stop.
ENTRYPOINT ["node", "/app/bin/portcullis.js"]
CMD ["bot"]
