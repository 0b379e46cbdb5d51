# syntax=docker/dockerfile:1
# One image for the bot and for the pipeline's CLI jobs (compliance, consistency,
# check-services). Portcullis runs its TypeScript through tsx, here as everywhere: there
# is no build step, which is why tsx is a production dependency.

# Node.js LTS. Both stages use the same image so that better-sqlite3 is compiled for the
# Node that runs it.
ARG NODE_IMAGE=node:26.13.0-bookworm-slim

FROM ${NODE_IMAGE} AS deps
# better-sqlite3 compiles its native addon when no prebuilt binary fits this Node.
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 make g++ \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY bin ./bin
COPY src ./src
COPY policies ./policies
COPY terraform/groups.json ./terraform/groups.json
# Pipeline jobs clear the entrypoint to run a shell, and call `portcullis` by name.
RUN printf '#!/bin/sh\nexec node /app/bin/portcullis.js "$@"\n' > /usr/local/bin/portcullis \
    && chmod 755 /usr/local/bin/portcullis \
    && mkdir -p /app/data \
    && chown node:node /app/data
# The code stays root-owned and read-only to the process; only data/ (SQLite) is writable.
USER node
ENTRYPOINT ["node", "/app/bin/portcullis.js"]
CMD ["--help"]
