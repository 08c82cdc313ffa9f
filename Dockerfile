# syntax=docker/dockerfile:1
# Sluice container image: compiled with tsc in a build stage, run as a non-root user.

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY config ./config
RUN npx tsc -p tsconfig.build.json \
 && npm prune --omit=dev --ignore-scripts

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
# git is not needed (isomorphic-git is pure JavaScript); tini reaps children and forwards signals.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 sluice \
 && useradd --system --uid 10001 --gid sluice --home-dir /var/cache/sluice --shell /usr/sbin/nologin sluice \
 && mkdir -p /var/cache/sluice && chown sluice:sluice /var/cache/sluice
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/config ./config
# The CRD schemas validate Rollouts and analysis objects found in synced repositories.
COPY manifests/crds ./manifests/crds
COPY package.json ./
COPY bin ./bin
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/bin/sluice.js", "serve"]
CMD ["--config", "/etc/sluice/config.yaml"]
