# Claude Remote in a container: one instance per container. Several of them
# share sessions through Redis (REDIS_URL, or REDIS_HOST and REDIS_PASSWORD);
# docs/scaling.md says what else they must share, docker-compose.yml and
# deploy/k8s/ put it together.
#
#   docker build -t claude-remote .
#   docker build -t claude-remote --build-arg CLAUDE_CODE_VERSION=2.1.330 .   # with the claude CLI inside
#
# Without CLAUDE_CODE_VERSION the image holds no `claude`: mount the user's own
# (a Linux build, glibc, for the image's architecture) and point CLAUDE_PATH at
# it, e.g. `-v /opt/claude/claude:/usr/local/bin/claude:ro` (found on PATH) or
# `-e CLAUDE_PATH=/opt/claude/bin/claude`. The server also looks in
# ~/.claude/local/claude and ~/.local/bin/claude (server/process/locate.ts).
# GET /health, with credentials, says which one it found.

ARG NODE_VERSION=20

# --- build: compile the server and the web app, then drop the dev dependencies
FROM node:${NODE_VERSION}-bookworm AS build
# better-sqlite3 compiles its native module when no prebuilt binary fits.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# dist/server (tsc) and dist/web (vite: the app the server serves, see WEB_DIR).
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

# --- runtime
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
# tini: PID 1 reaps the processes Claude's tools leave behind and passes
# SIGTERM to the whole group (-g), as a terminal's Ctrl+C or systemd would.
# git and ca-certificates: what Claude's tools need most; add your own tools in
# an image FROM this one.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini git ca-certificates \
 && rm -rf /var/lib/apt/lists/*

# The user's claude CLI, when asked for (the CLI's own installer downloads its native binary).
ARG CLAUDE_CODE_VERSION=""
RUN if [ -n "$CLAUDE_CODE_VERSION" ]; then \
      npm install -g --no-audit --no-fund "@anthropic-ai/claude-code@${CLAUDE_CODE_VERSION}" \
      && npm cache clean --force \
      && claude --version; \
    fi

WORKDIR /app
# Only what runs: the built server and web app, the pruned dependencies, the
# command that supervises the server (bin/), and package.json (version, root).
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin

# Folders the app writes, owned by the unprivileged `node` user (uid 1000) of
# the base image. A fresh named volume mounted on them starts with this owner.
#   /data                 DATA_DIR: this instance's own (instance id, lock, SQLite
#                         store when there is no Redis). Never shared by two live instances.
#                         Alone, one container keeps the folders of sessions created
#                         without one here too (DATA_DIR/sessions, the default).
#   /sessions             SESSIONS_DIR for several instances (compose and k8s set it):
#                         those folders, shared by all instances
#   /workspace            ALLOWED_ROOTS: project folders; shared by all instances
#   /home/node/.claude    the CLI's login, settings and transcripts (CLAUDE_CONFIG_DIR); shared
RUN mkdir -p /data /sessions /workspace /home/node/.claude \
 && chown -R node:node /data /sessions /workspace /home/node \
 && chmod 700 /data /sessions /home/node/.claude

# Not NODE_ENV: the CLI and every command Claude runs inherit the environment
# (NODE_ENV=production would make `npm install` in a project skip its dev
# dependencies). HOST=0.0.0.0 needs AUTH_TOKEN/AUTH_PASSWORD (or their _FILE
# forms): the server refuses to start without one.
ENV HOST=0.0.0.0 \
    PORT=8765 \
    DATA_DIR=/data \
    ALLOWED_ROOTS=/workspace \
    LOG_FORMAT=json \
    HOME=/home/node \
    CLAUDE_CONFIG_DIR=/home/node/.claude \
    DISABLE_AUTOUPDATER=1

USER node
EXPOSE 8765
VOLUME ["/data"]

# /health answers without credentials ({"status":"ok"} when auth is on) and
# touches no store, so it says whether the process serves, not whether Redis is up.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8765) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

ENTRYPOINT ["/usr/bin/tini", "-g", "--"]
# The supervisor (bin/claude-remote.js) starts dist/server/main.js again when it
# exits with 75 (Restart from the app); any other exit ends the container.
CMD ["node", "bin/claude-remote.js"]
