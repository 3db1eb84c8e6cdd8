# One image for every process; docker-compose.yml picks the process by command.
# Node 24 runs the TypeScript sources directly (type stripping), so there is no build step
# except the prebuilt workflow bundle that production workers load (WORKFLOW_BUNDLE_PATH).
FROM node:24-slim

ENV NODE_ENV=production \
    NODE_OPTIONS=--disable-warning=ExperimentalWarning \
    WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js
WORKDIR /app

COPY package.json package-lock.json ./
# `npm install` honours the lockfile's exact versions (npm ci rejects lockfiles made on one
# platform when they omit other platforms' optional binaries).
RUN npm install --omit=dev --no-audit --no-fund && npm cache clean --force

COPY src ./src
COPY workflows ./workflows
COPY activities ./activities
COPY workers ./workers
COPY scripts ./scripts
RUN node scripts/bundle-workflows.ts dist/workflow-bundle.js

USER node
EXPOSE 3000 9464 9564
CMD ["node", "src/api/main.ts"]
