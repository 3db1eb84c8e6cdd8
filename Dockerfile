# One image for every process; docker-compose.yml and deploy/k8s pick the process by command.
# Node 24 runs the TypeScript sources directly (type stripping): the only build product is the
# workflow bundle that production workers load (WORKFLOW_BUNDLE_PATH), so no worker bundles
# workflow code with webpack at start.

# --- 1. production dependencies, exactly as locked -------------------------------------------
FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# --- 2. the prebuilt workflow bundle ----------------------------------------------------------
FROM deps AS bundle
COPY package.json ./
COPY src ./src
COPY workflows ./workflows
COPY activities ./activities
COPY workers ./workers
COPY scripts ./scripts
RUN node scripts/bundle-workflows.ts dist/workflow-bundle.js

# --- 3. runtime: sources + dependencies + bundle, as the unprivileged `node` user ------------
FROM node:24-slim AS runtime
ENV NODE_ENV=production \
    NODE_OPTIONS=--disable-warning=ExperimentalWarning \
    WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json ./
COPY src ./src
COPY workflows ./workflows
COPY activities ./activities
COPY workers ./workers
COPY scripts ./scripts
COPY --from=bundle /app/dist ./dist
# Files stay owned by root (read-only to the process); the process runs as `node` (uid 1000).
USER node
EXPOSE 3000 9464 9564
CMD ["node", "src/api/main.ts"]

# --- 4. demo: the runtime plus the offline payment sandbox (compose profile `demo`) -----------
# The sandbox is a development tool (sandbox/), never part of what production runs.
FROM runtime AS demo
COPY sandbox ./sandbox
CMD ["node", "sandbox/main.ts"]

# --- 5. production: the default target --------------------------------------------------------
FROM runtime AS production
