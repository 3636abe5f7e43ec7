/**
 * The deployment files (Dockerfile, docker-compose.yml, deploy/k8s/) read
 * the way a broken deployment would get them wrong: two instances on one
 * DATA_DIR, session folders or the CLI's ~/.claude not shared, Redis not
 * where the server would look for it or with another password, no
 * authentication on 0.0.0.0, a port open to the world, probes on the wrong
 * port, a setting the server does not know or a value it refuses (each
 * instance's environment goes through server/config.ts's loadConfig).
 *
 * Each check is a function from the parsed files to a list of problems; the
 * real files must have none, and the last block feeds each check a broken
 * copy to show that it notices.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { loadConfig, SETTING_ENV_NAMES, type Config } from '../../server/config.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

// ---------------------------------------------------------------------------
// What the server knows

/** Every environment variable server/config.ts reads: a renamed setting fails here. */
const SERVER_ENV: ReadonlySet<string> = new Set(SETTING_ENV_NAMES);
/**
 * Set in the image for the CLI, not read by the server: where the CLI keeps
 * its login, settings and transcripts, and no self-update in a read-only image.
 */
const IMAGE_CLI_ENV = new Set(['HOME', 'CLAUDE_CONFIG_DIR', 'DISABLE_AUTOUPDATER']);

// ---------------------------------------------------------------------------
// Small readers for parsed YAML

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
const isLoopbackHost = (h: string) => /^(127\.\d+\.\d+\.\d+|::1|localhost)$/i.test(h);
const trimSlash = (p: string) => (p.length > 1 ? p.replace(/\/+$/, '') : p);

/**
 * What server/config.ts makes of an instance's environment, as the server
 * would read it at start; a message when it refuses to start. The secret
 * files exist only in the container, so the secrets they name are given
 * directly.
 */
function serverConfig(env: Record<string, string>): Readonly<Config> | string {
  const direct = { ...env };
  for (const key of ['AUTH_TOKEN', 'AUTH_PASSWORD']) {
    if (direct[`${key}_FILE`] === undefined) continue;
    delete direct[`${key}_FILE`];
    direct[key] = 'a-secret-from-a-file';
  }
  try {
    return loadConfig({ env: direct, home: env.HOME ?? '/home/node' });
  } catch (err) {
    return `server/config.ts refuses it: ${(err as Error).message}`;
  }
}

/** Where the server connects to Redis (REDIS_URL, or REDIS_HOST and the rest), as server/config.ts says. */
function redisOf(config: Readonly<Config>): { host: string; password: string } | undefined {
  if (config.redisUrl === undefined) return undefined;
  const url = new URL(config.redisUrl);
  return { host: url.hostname, password: decodeURIComponent(url.password) };
}

/** The password a Redis command line requires (`--requirepass <password>`). */
function requirepassOf(args: unknown[]): string | undefined {
  const at = args.findIndex((a) => a === '--requirepass');
  return at < 0 ? undefined : str(args[at + 1]);
}

/** Compose's `${NAME}`, `${NAME:-default}` and `${NAME:?message}`: the default, else a value from .env. */
const interpolate = (value: string) => value.replace(/\$\{(\w+)(?::?-([^}]*)|:?\?[^}]*)?\}/g, (_m, name: string, fallback?: string) => fallback ?? `${name.toLowerCase()}-from-env`);

// ---------------------------------------------------------------------------
// Dockerfile

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  from: string;
  name?: string | undefined;
  instructions: Instruction[];
}

function parseDockerfile(text: string): Stage[] {
  const logical: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || (line === '' && current === '')) continue;
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    current += line;
    if (current.trim() !== '') logical.push(current.trim());
    current = '';
  }
  const stages: Stage[] = [];
  for (const line of logical) {
    const m = /^(\w+)\s+([\s\S]*)$/.exec(line);
    if (!m) continue;
    const op = (m[1] as string).toUpperCase();
    const args = (m[2] as string).trim();
    if (op === 'FROM') {
      const from = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/i.exec(args);
      stages.push({ from: from?.[1] ?? '', name: from?.[2], instructions: [] });
      continue;
    }
    stages.at(-1)?.instructions.push({ op, args });
  }
  return stages;
}

function envOf(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const i of stage.instructions.filter((x) => x.op === 'ENV')) {
    if (!/^[A-Za-z_]\w*=/.test(i.args)) {
      const [key, ...rest] = i.args.split(/\s+/);
      if (key) env[key] = rest.join(' ');
      continue;
    }
    for (const m of i.args.matchAll(/([A-Za-z_]\w*)=("[^"]*"|\S*)/g)) env[m[1] as string] = (m[2] as string).replace(/^"|"$/g, '');
  }
  return env;
}

const RUNTIME_NEEDS = ['dist', 'node_modules', 'package.json', 'bin'];

function dockerfileProblems(stages: Stage[]): string[] {
  const problems: string[] = [];
  if (stages.length < 2) return ['the Dockerfile is not multi-stage'];
  const build = stages[0] as Stage;
  const runtime = stages.at(-1) as Stage;
  const runs = (s: Stage) =>
    s.instructions
      .filter((i) => i.op === 'RUN')
      .map((i) => i.args)
      .join('\n');
  for (const step of ['npm ci', 'npm run build', 'npm prune --omit=dev']) {
    if (!runs(build).includes(step)) problems.push(`the build stage does not run \`${step}\``);
  }
  if (!/python3/.test(runs(build)) || !/\bg\+\+/.test(runs(build)) || !/\bmake\b/.test(runs(build))) {
    problems.push('the build stage does not install python3, make and g++ (better-sqlite3)');
  }
  if (!build.name) problems.push('the build stage has no name to copy from');
  const copied = runtime.instructions
    .filter((i) => i.op === 'COPY' && build.name !== undefined && i.args.includes(`--from=${build.name}`))
    .map((i) => i.args.split(/\s+/).filter((a) => !a.startsWith('--'))[0] ?? '');
  for (const need of RUNTIME_NEEDS) {
    if (!copied.some((src) => trimSlash(src).endsWith(`/${need}`) || trimSlash(src) === need)) {
      problems.push(`the runtime stage does not copy ${need} from the build stage`);
    }
  }
  const users = runtime.instructions.filter((i) => i.op === 'USER');
  const user = users.at(-1)?.args.split(':')[0];
  if (user === undefined) problems.push('the runtime stage sets no USER (it would run as root)');
  else if (user === 'root' || user === '0') problems.push(`the runtime stage runs as ${user}`);
  const health = runtime.instructions.filter((i) => i.op === 'HEALTHCHECK').at(-1);
  if (!health || /^NONE\b/i.test(health.args)) problems.push('the runtime stage has no HEALTHCHECK');
  else {
    if (!health.args.includes('/health')) problems.push('the HEALTHCHECK does not ask /health');
    for (const tool of ['curl', 'wget']) {
      if (new RegExp(`\\b${tool}\\b`).test(health.args) && !new RegExp(`install[^\\n]*\\b${tool}\\b`).test(runs(runtime))) {
        problems.push(`the HEALTHCHECK uses ${tool}, which the runtime stage does not install`);
      }
    }
  }
  const env = envOf(runtime);
  if (!env.HOST || isLoopbackHost(env.HOST)) problems.push(`HOST is ${env.HOST ?? 'unset'} in the image: nothing outside the container could connect`);
  const exposed = runtime.instructions.filter((i) => i.op === 'EXPOSE').flatMap((i) => i.args.split(/\s+/).map((p) => p.split('/')[0]));
  if (!exposed.includes(env.PORT ?? '8765')) problems.push(`the image listens on ${env.PORT ?? '8765'} but EXPOSEs ${exposed.join(', ') || 'nothing'}`);
  for (const name of Object.keys(env)) {
    if (!SERVER_ENV.has(name) && !IMAGE_CLI_ENV.has(name)) problems.push(`ENV ${name} is not a setting server/config.ts knows`);
  }
  if (!env.DATA_DIR) problems.push('the image sets no DATA_DIR (the default is in $HOME, not on a volume)');
  const start = runtime.instructions
    .filter((i) => i.op === 'CMD' || i.op === 'ENTRYPOINT')
    .map((i) => i.args)
    .join(' ');
  if (!/bin\/claude-remote\.js|dist\/server\/main\.js/.test(start)) problems.push('the image does not start bin/claude-remote.js');
  const claudeArg = runtime.instructions.some((i) => i.op === 'ARG' && /^CLAUDE_CODE_VERSION\b/.test(i.args));
  if (!claudeArg || !/@anthropic-ai\/claude-code@\$\{?CLAUDE_CODE_VERSION\}?/.test(runs(runtime))) {
    problems.push('the runtime stage does not install @anthropic-ai/claude-code@$CLAUDE_CODE_VERSION');
  }
  return problems;
}

// ---------------------------------------------------------------------------
// Where the build puts things, and what the build context leaves out

function buildOutputProblems(viteConfig: string, serverTsconfig: string, dockerignore: string): string[] {
  const problems: string[] = [];
  // vite's root is web/: its outDir is relative to it.
  const outDir = /outDir:\s*['"]([^'"]+)['"]/.exec(viteConfig)?.[1];
  const webOut = outDir ? join('web', outDir) : undefined;
  if (!webOut?.startsWith('dist/')) problems.push(`the web app is built into ${webOut ?? '?'}, outside the dist/ the image copies`);
  const serverOut = (JSON.parse(serverTsconfig) as { compilerOptions?: { outDir?: string } }).compilerOptions?.outDir;
  if (!serverOut || !trimSlash(serverOut).startsWith('dist/')) problems.push(`the server is built into ${serverOut ?? '?'}, outside dist/`);
  const ignored = new Set(
    dockerignore
      .split('\n')
      .map((l) => trimSlash(l.trim().replace(/^\//, '')))
      .filter((l) => l !== '' && !l.startsWith('#')),
  );
  for (const must of ['node_modules', 'dist', '.git', '.env']) if (!ignored.has(must)) problems.push(`.dockerignore lets ${must} into the build context`);
  const needed = ['server', 'web', 'public', 'bin', 'scripts', 'package.json', 'package-lock.json', 'tsconfig.base.json', 'tsconfig.server.json', 'vite.config.ts'];
  for (const need of needed) if (ignored.has(need)) problems.push(`.dockerignore leaves out ${need}, which the build needs`);
  return problems;
}

// ---------------------------------------------------------------------------
// docker-compose.yml

interface Mount {
  source: string;
  target: string;
}

function composeMounts(service: Obj): Mount[] {
  return arr(service.volumes).flatMap((v): Mount[] => {
    if (typeof v === 'string') {
      const [source, target] = v.split(':');
      return source !== undefined && target !== undefined ? [{ source, target: trimSlash(target) }] : [];
    }
    const o = obj(v);
    const source = str(o.source);
    const target = str(o.target);
    return source !== undefined && target !== undefined ? [{ source, target: trimSlash(target) }] : [];
  });
}

function composeEnv(service: Obj): Record<string, string> {
  const env = service.environment;
  if (Array.isArray(env)) {
    return Object.fromEntries(env.map((e) => String(e)).map((e) => [e.split('=')[0] as string, e.slice(e.indexOf('=') + 1)]));
  }
  return Object.fromEntries(Object.entries(obj(env)).map(([k, v]) => [k, str(v) ?? '']));
}

/** Host address and container port of each published port. */
function composePorts(service: Obj): { hostIp: string | undefined; target: string }[] {
  return arr(service.ports).map((p) => {
    if (typeof p === 'string' || typeof p === 'number') {
      const parts = String(p).split('/')[0]?.split(':') ?? [];
      // "target", "published:target" or "ip:published:target" (IPv6 addresses come in brackets).
      const target = parts.at(-1) ?? '';
      const hostIp = parts.length >= 3 ? parts.slice(0, -2).join(':').replace(/^\[|\]$/g, '') : undefined;
      return { hostIp, target };
    }
    const o = obj(p);
    return { hostIp: str(o.host_ip), target: str(o.target) ?? '' };
  });
}

function isAppService(service: Obj): boolean {
  return /claude-remote/.test(str(service.image) ?? '') || service.build !== undefined;
}

function composeProblems(compose: Obj, imageEnv: Record<string, string>): string[] {
  const problems: string[] = [];
  const services = obj(compose.services);
  const topVolumes = obj(compose.volumes);
  const topSecrets = obj(compose.secrets);
  const redisNames = Object.entries(services)
    .filter(([, s]) => /^redis(:|$)/.test(str(obj(s).image) ?? ''))
    .map(([name]) => name);
  if (redisNames.length !== 1) problems.push(`expected one redis service, found ${redisNames.length}`);
  for (const name of redisNames) {
    const redis = obj(services[name]);
    if (!redis.healthcheck) problems.push(`${name} has no healthcheck (the instances wait for it to be healthy)`);
    if (arr(redis.ports).length > 0) problems.push(`${name} publishes a port: Redis must stay on the compose network`);
    if (!/requirepass|--aclfile|users\.acl/.test(JSON.stringify(redis.command ?? ''))) problems.push(`${name} runs without a password`);
  }
  const apps = Object.entries(services).filter(([, s]) => isAppService(obj(s)));
  if (apps.length < 2) problems.push(`expected at least two Claude Remote services, found ${apps.length}`);

  const dataSources = new Map<string, string>();
  const shared: Record<string, Set<string>> = { sessions: new Set(), 'CLI home': new Set(), roots: new Set() };
  const sessionsDirs = new Set<string>();
  for (const [name, raw] of apps) {
    const service = obj(raw);
    const own = composeEnv(service);
    const env = { ...imageEnv, ...own };
    for (const key of Object.keys(own)) if (!SERVER_ENV.has(key)) problems.push(`${name}: ${key} is not a setting server/config.ts knows`);
    const config = serverConfig(Object.fromEntries(Object.entries(env).map(([k, v]) => [k, interpolate(v)])));
    if (typeof config === 'string') {
      problems.push(`${name}: ${config}`);
      continue;
    }

    const { dataDir, sessionsDir } = config;
    sessionsDirs.add(sessionsDir);
    const mounts = composeMounts(service);
    const at = (path: string) => mounts.find((m) => m.target === trimSlash(path));
    const data = at(dataDir);
    if (!data) problems.push(`${name}: nothing is mounted on DATA_DIR ${dataDir}`);
    else if (!(data.source in topVolumes) && !data.source.startsWith('.') && !data.source.startsWith('/')) {
      problems.push(`${name}: DATA_DIR's volume ${data.source} is not declared`);
    } else {
      const other = dataSources.get(data.source);
      if (other) problems.push(`${name} and ${other} share the DATA_DIR volume ${data.source}`);
      dataSources.set(data.source, name);
    }
    const sessions = at(sessionsDir);
    if (!sessions) problems.push(`${name}: no shared volume on SESSIONS_DIR ${sessionsDir} (folders of sessions created without one)`);
    else if (sessions.source === data?.source) problems.push(`${name}: SESSIONS_DIR ${sessionsDir} is on its own DATA_DIR volume, not shared`);
    else shared.sessions?.add(sessions.source);
    const cliHome = env.CLAUDE_CONFIG_DIR ?? (env.HOME ? `${env.HOME}/.claude` : undefined);
    const cli = cliHome ? at(cliHome) : undefined;
    if (!cli) problems.push(`${name}: no shared volume on the CLI's home ${cliHome ?? '(unknown)'}`);
    else shared['CLI home']?.add(cli.source);
    for (const root of config.allowedRoots) {
      const mount = at(root);
      if (!mount) problems.push(`${name}: nothing is mounted on the allowed root ${root}`);
      else shared.roots?.add(`${root}=${mount.source}`);
    }

    const redis = redisOf(config);
    if (!redis) problems.push(`${name}: no Redis (REDIS_URL or REDIS_HOST): each instance would keep a store of its own`);
    else {
      if (!redisNames.includes(redis.host)) problems.push(`${name}: Redis at ${redis.host}, not the redis service`);
      if (!redis.password) problems.push(`${name}: connects to Redis without a password`);
      const required = requirepassOf(arr(obj(services[redis.host]).command));
      if (redis.password && required !== undefined && interpolate(required) !== redis.password) {
        problems.push(`${name}: connects with another password than ${redis.host} requires`);
      }
    }
    const depends = obj(service.depends_on);
    for (const redis of redisNames) {
      if (str(obj(depends[redis]).condition) !== 'service_healthy') problems.push(`${name} does not wait for ${redis} to be healthy`);
    }

    const secrets = arr(service.secrets).map((s) => (typeof s === 'string' ? s : (str(obj(s).source) ?? '')));
    const authVars = ['AUTH_TOKEN', 'AUTH_PASSWORD', 'AUTH_TOKEN_FILE', 'AUTH_PASSWORD_FILE'].filter((k) => env[k]);
    if (authVars.length === 0) problems.push(`${name}: no AUTH_TOKEN or AUTH_PASSWORD (the server refuses 0.0.0.0 without one)`);
    for (const key of authVars.filter((k) => k.endsWith('_FILE'))) {
      const secret = /^\/run\/secrets\/([^/]+)$/.exec(env[key] as string)?.[1];
      if (!secret || !secrets.includes(secret) || !(secret in topSecrets)) problems.push(`${name}: ${key}=${env[key]} is not one of its secrets`);
    }
    if (env.HOST && isLoopbackHost(env.HOST)) problems.push(`${name}: HOST ${env.HOST} cannot be reached through a published port`);

    for (const port of composePorts(service)) {
      if (port.hostIp === undefined || port.hostIp === '' || port.hostIp === '0.0.0.0' || port.hostIp === '::') {
        problems.push(`${name}: a port is published on every address of the host`);
      } else if (!isLoopbackHost(port.hostIp)) problems.push(`${name}: a port is published on ${port.hostIp}`);
      if (port.target !== (env.PORT ?? '8765')) problems.push(`${name}: publishes container port ${port.target}, but the server listens on ${env.PORT ?? '8765'}`);
    }
  }
  if (sessionsDirs.size > 1) problems.push(`the instances use different SESSIONS_DIR paths (${[...sessionsDirs].join(', ')}): own session folders are stored by path`);
  for (const [what, sources] of Object.entries(shared)) {
    const distinct = what === 'roots' ? new Set([...sources].map((s) => s.split('=')[0])).size !== sources.size : sources.size > 1;
    if (distinct) problems.push(`the instances do not share one ${what} volume (${[...sources].join(', ')})`);
  }
  return problems;
}

// ---------------------------------------------------------------------------
// deploy/k8s

type Doc = Obj & { kind?: string };

function k8sFiles(): string[] {
  return readdirSync(join(ROOT, 'deploy/k8s'))
    .filter((f) => /\.ya?ml(\.example)?$/.test(f))
    .sort();
}

function k8sDocs(): Doc[] {
  return k8sFiles().flatMap((f) =>
    parseAllDocuments(read(join('deploy/k8s', f))).map((d) => {
      if (d.errors.length > 0) throw new Error(`${f}: ${d.errors.map((e) => e.message).join('; ')}`);
      return obj(d.toJS()) as Doc;
    }),
  );
}

const labelsMatch = (selector: Obj, labels: Obj) => Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);
const nameOf = (d: Obj) => str(obj(d.metadata).name) ?? '';

function k8sProblems(docs: Doc[], imageEnv: Record<string, string>): string[] {
  const problems: string[] = [];
  const byKind = (kind: string) => docs.filter((d) => d.kind === kind);
  const deployments = byKind('Deployment');
  const containersOf = (d: Obj) => arr(obj(obj(obj(d.spec).template).spec).containers).map(obj);
  const apps = deployments.filter((d) => containersOf(d).some((c) => /claude-remote/.test(str(c.image) ?? '')));
  const redisDeployments = deployments.filter((d) => containersOf(d).some((c) => /^redis(:|$)/.test(str(c.image) ?? '')));
  if (apps.length !== 1) return [`expected one Claude Remote Deployment, found ${apps.length}`];
  const app = apps[0] as Doc;
  const spec = obj(app.spec);
  const podSpec = obj(obj(spec.template).spec);
  const podLabels = obj(obj(obj(spec.template).metadata).labels);
  if (!labelsMatch(obj(obj(spec.selector).matchLabels), podLabels)) problems.push("the Deployment's selector does not match its pod labels");
  if (typeof spec.replicas !== 'number' || spec.replicas < 2) problems.push(`replicas is ${String(spec.replicas)}, expected 2 or more`);
  if (podSpec.automountServiceAccountToken !== false) problems.push("the pods get a service-account token (Claude's tools would too)");

  const container = containersOf(app).find((c) => /claude-remote/.test(str(c.image) ?? '')) as Obj;
  const podSec = obj(podSpec.securityContext);
  const sec = obj(container.securityContext);
  if ((sec.runAsNonRoot ?? podSec.runAsNonRoot) !== true) problems.push('runAsNonRoot is not set');
  if ((sec.runAsUser ?? podSec.runAsUser) === 0) problems.push('runs as uid 0');
  if (sec.allowPrivilegeEscalation !== false) problems.push('allowPrivilegeEscalation is not false');

  // Values from Secrets are the template's: each key a pod reads must be there, unless marked optional.
  const secrets = new Map(byKind('Secret').map((s) => [nameOf(s), { ...obj(s.stringData), ...obj(s.data) }]));
  const env: Record<string, string> = { ...imageEnv };
  for (const e of arr(container.env).map(obj)) {
    const name = str(e.name) ?? '';
    if (!SERVER_ENV.has(name)) problems.push(`env ${name} is not a setting server/config.ts knows`);
    const ref = obj(obj(e.valueFrom).secretKeyRef);
    const [secretName, key] = [str(ref.name), str(ref.key)];
    if (secretName === undefined || key === undefined) {
      env[name] = str(e.value) ?? '';
      continue;
    }
    const value = str(secrets.get(secretName)?.[key]);
    if (value !== undefined) env[name] = value;
    else if (ref.optional !== true) problems.push(`secret ${secretName} has no key ${key}`);
  }
  if (env.HOST && isLoopbackHost(env.HOST)) problems.push(`HOST ${env.HOST}: the Service and the probes could not reach it`);
  const config = serverConfig(env);
  if (typeof config === 'string') return [...problems, config];

  const ports = arr(container.ports).map(obj);
  const listenPort = Number(env.PORT ?? 8765);
  const portNamed = (p: unknown) => (typeof p === 'number' ? p : Number(ports.find((x) => x.name === p)?.containerPort));
  if (!ports.some((p) => p.containerPort === listenPort)) problems.push(`no containerPort ${listenPort} (the server's PORT)`);
  for (const probe of ['readinessProbe', 'livenessProbe']) {
    const get = obj(obj(container[probe]).httpGet);
    if (str(get.path) !== '/health') problems.push(`${probe} does not ask /health`);
    else if (portNamed(get.port) !== listenPort) problems.push(`${probe} asks port ${String(get.port)}, the server listens on ${listenPort}`);
  }

  // Volumes: DATA_DIR per pod, the rest shared and ReadWriteMany.
  const volumes = new Map(arr(podSpec.volumes).map((v) => [str(obj(v).name) ?? '', obj(v)]));
  const mounts = arr(container.volumeMounts).map(obj);
  const claims = new Map(byKind('PersistentVolumeClaim').map((c) => [nameOf(c), c]));
  const mountAt = (path: string) => mounts.find((m) => trimSlash(str(m.mountPath) ?? '') === trimSlash(path));
  const sharedAt = (what: string, path: string | undefined) => {
    const mount = path ? mountAt(path) : undefined;
    if (!mount) return problems.push(`nothing is mounted on ${what} ${path ?? '(unknown)'}`);
    const claim = str(obj(volumes.get(str(mount.name) ?? '')?.persistentVolumeClaim).claimName);
    if (!claim) return problems.push(`${what} (${path}) is not on a PersistentVolumeClaim: the pods would not share it`);
    const pvc = claims.get(claim);
    if (!pvc) return problems.push(`${what} uses the claim ${claim}, which no file defines`);
    if (!arr(obj(pvc.spec).accessModes).includes('ReadWriteMany')) problems.push(`${what} uses the claim ${claim}, which is not ReadWriteMany`);
  };
  const { dataDir } = config;
  const dataMount = mountAt(dataDir);
  if (!dataMount) problems.push(`nothing is mounted on DATA_DIR ${dataDir}`);
  else {
    const volume = volumes.get(str(dataMount.name) ?? '');
    if (!volume || !('emptyDir' in volume || 'ephemeral' in volume)) problems.push('DATA_DIR is not per pod (an emptyDir or ephemeral volume): the replicas would share it');
  }
  sharedAt('SESSIONS_DIR', config.sessionsDir);
  sharedAt("the CLI's home", env.CLAUDE_CONFIG_DIR ?? (env.HOME ? `${env.HOME}/.claude` : undefined));
  for (const root of config.allowedRoots) sharedAt('the allowed root', root);
  if (sec.readOnlyRootFilesystem === true && !mountAt('/tmp')) problems.push('a read-only root file system without a writable /tmp');

  // Secrets read as files: the mounted Secret has them.
  const authVars = ['AUTH_TOKEN', 'AUTH_PASSWORD', 'AUTH_TOKEN_FILE', 'AUTH_PASSWORD_FILE'].filter((k) => env[k]);
  if (authVars.length === 0) problems.push('no AUTH_TOKEN or AUTH_PASSWORD (the server refuses 0.0.0.0 without one)');
  for (const key of authVars.filter((k) => k.endsWith('_FILE'))) {
    const path = env[key] as string;
    const mount = mounts.find((m) => path.startsWith(`${trimSlash(str(m.mountPath) ?? '')}/`));
    const secretName = str(obj(volumes.get(str(mount?.name) ?? '')?.secret).secretName);
    const file = mount ? path.slice(trimSlash(str(mount.mountPath) ?? '').length + 1) : '';
    const volume = volumes.get(str(mount?.name) ?? '');
    const items = arr(obj(volume?.secret).items).map(obj);
    const key2 = items.length > 0 ? str(items.find((i) => i.path === file)?.key) : file;
    if (!secretName || !key2 || !(key2 in (secrets.get(secretName) ?? {}))) problems.push(`${key}=${path} is not a key of a mounted Secret`);
  }

  // Redis, where server/config.ts says the server connects: a Service that selects the Redis pods, with a password.
  const services = byKind('Service');
  const redis = redisOf(config);
  if (!redis) problems.push('no Redis (REDIS_URL or REDIS_HOST): each pod would keep a store of its own');
  else {
    if (!redis.password) problems.push('connects to Redis without a password');
    const service = services.find((s) => nameOf(s) === redis.host);
    const redisLabels = redisDeployments.map((d) => obj(obj(obj(obj(d.spec).template).metadata).labels));
    if (!service) problems.push(`Redis at ${redis.host}, which no Service is`);
    else if (!redisLabels.some((l) => labelsMatch(obj(obj(service.spec).selector), l))) problems.push(`the Service ${redis.host} does not select the Redis pods`);
    else if (redis.password) {
      // Redis' own password: its args, with $(NAME) taken from its env (and so from the Secret).
      const redisContainer = redisDeployments.flatMap(containersOf).find((c) => /^redis(:|$)/.test(str(c.image) ?? '')) ?? {};
      const redisEnv = Object.fromEntries(
        arr(redisContainer.env)
          .map(obj)
          .map((e) => {
            const ref = obj(obj(e.valueFrom).secretKeyRef);
            const value = str(ref.name) ? str(secrets.get(str(ref.name) as string)?.[str(ref.key) ?? '']) : str(e.value);
            return [str(e.name) ?? '', value ?? ''];
          }),
      );
      const required = requirepassOf(arr(redisContainer.args))?.replace(/\$\((\w+)\)/g, (_m, name: string) => redisEnv[name] ?? '');
      if (required !== undefined && required !== redis.password) problems.push(`connects with another password than Redis requires`);
    }
  }
  for (const s of services) if (['NodePort', 'LoadBalancer'].includes(str(obj(s.spec).type) ?? '') && /redis/.test(nameOf(s))) problems.push(`Redis is exposed by ${nameOf(s)}`);

  // A Service for the instances: selects their pods, at the server's port.
  const appServices = services.filter((s) => labelsMatch(obj(obj(s.spec).selector), podLabels));
  if (appServices.length === 0) problems.push("no Service selects the Deployment's pods");
  for (const s of appServices) {
    for (const p of arr(obj(s.spec).ports).map(obj)) {
      if (portNamed(p.targetPort ?? p.port) !== listenPort) problems.push(`the Service ${nameOf(s)} sends to port ${String(p.targetPort ?? p.port)}, not ${listenPort}`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------

const stages = parseDockerfile(read('Dockerfile'));
const imageEnv = envOf(stages.at(-1) as Stage);
const compose = obj(parse(read('docker-compose.yml'), { merge: true }));

describe('the Dockerfile', () => {
  it('builds in one stage and runs a pruned copy as a non-root user, with a health check on /health', () => {
    expect(dockerfileProblems(stages)).toEqual([]);
  });

  it('copies a dist/ that holds the server and the web app, from a build context without secrets or local builds', () => {
    expect(buildOutputProblems(read('vite.config.ts'), read('tsconfig.server.json'), read('.dockerignore'))).toEqual([]);
  });
});

describe('docker-compose.yml', () => {
  it('runs Redis and two instances, each with its own DATA_DIR and the same shared folders, authenticated, on loopback ports', () => {
    expect(composeProblems(compose, imageEnv)).toEqual([]);
  });
});

describe('deploy/k8s', () => {
  it('parses, every file', () => {
    expect(k8sFiles()).toEqual(expect.arrayContaining(['claude-remote.yaml', 'pvc.yaml', 'redis.yaml', 'secret.yaml.example']));
    expect(() => k8sDocs()).not.toThrow();
  });

  it('runs two or more non-root replicas with probes on /health, a DATA_DIR per pod, shared folders, and a Service for them', () => {
    expect(k8sProblems(k8sDocs(), imageEnv)).toEqual([]);
  });

  it('leaves the namespace to whoever applies it', () => {
    expect(k8sDocs().filter((d) => obj(d.metadata).namespace !== undefined || d.kind === 'Namespace')).toEqual([]);
  });
});

describe('the checks notice a broken deployment', () => {
  const clone = <T>(v: T): T => structuredClone(v);
  const appName = 'claude-remote-a';
  const edit = (change: (c: Obj) => void) => {
    const copy = clone(compose);
    change(copy);
    return composeProblems(copy, imageEnv);
  };
  const serviceOf = (c: Obj, name = appName) => obj(obj(c.services)[name]);

  it('in the Dockerfile', () => {
    const text = read('Dockerfile');
    expect(dockerfileProblems(parseDockerfile(text.replace(/^USER node$/m, '')))).toContain('the runtime stage sets no USER (it would run as root)');
    expect(dockerfileProblems(parseDockerfile(text.replace(/^HEALTHCHECK[\s\S]*?\n\n/m, '\n')))).toContain('the runtime stage has no HEALTHCHECK');
    expect(dockerfileProblems(parseDockerfile(text.replace(/^ENV HOST=0\.0\.0\.0/m, 'ENV HOST=127.0.0.1')))).toEqual([expect.stringMatching(/^HOST is 127\.0\.0\.1/)]);
    expect(dockerfileProblems(parseDockerfile(text.replace(/^(\s+)DATA_DIR=\/data/m, '$1DATADIR=/data')))).toContain('ENV DATADIR is not a setting server/config.ts knows');
    const oneStage = text.replace(/^FROM node:\$\{NODE_VERSION\}-bookworm-slim AS runtime$/m, '');
    expect(dockerfileProblems(parseDockerfile(oneStage))).toEqual(['the Dockerfile is not multi-stage']);
    expect(buildOutputProblems("build: { outDir: '../public-build' }", '{"compilerOptions":{"outDir":"dist/server"}}', 'node_modules\ndist\n.git\n.env\n')).toEqual([
      'the web app is built into public-build, outside the dist/ the image copies',
    ]);
  });

  it('in docker-compose.yml', () => {
    expect(
      edit((c) => {
        serviceOf(c, 'claude-remote-b').volumes = arr(serviceOf(c, 'claude-remote-b').volumes).map((v) => (v === 'data-b:/data' ? 'data-a:/data' : v));
      }),
    ).toContain('claude-remote-b and claude-remote-a share the DATA_DIR volume data-a');
    // Without SESSIONS_DIR the folders would be DATA_DIR/sessions, on each instance's own volume.
    expect(
      edit((c) => {
        delete obj(serviceOf(c).environment).SESSIONS_DIR;
      }),
    ).toEqual([
      `${appName}: no shared volume on SESSIONS_DIR /data/sessions (folders of sessions created without one)`,
      'the instances use different SESSIONS_DIR paths (/data/sessions, /sessions): own session folders are stored by path',
    ]);
    expect(
      edit((c) => {
        obj(serviceOf(c).environment).SESSIONS_DIR = '/data';
      }),
    ).toEqual([`${appName}: SESSIONS_DIR /data is on its own DATA_DIR volume, not shared`, expect.stringMatching(/different SESSIONS_DIR paths/)]);
    expect(
      edit((c) => {
        serviceOf(c).volumes = arr(serviceOf(c).volumes).map((v) => (String(v).startsWith('claude-home:') ? 'claude-home-a:/home/node/.claude' : v));
      }),
    ).toEqual(expect.arrayContaining([expect.stringMatching(/do not share one CLI home volume/)]));
    expect(
      edit((c) => {
        serviceOf(c).ports = ['8701:8765'];
      }),
    ).toContain(`${appName}: a port is published on every address of the host`);
    expect(
      edit((c) => {
        obj(serviceOf(c).environment).REDIS_HOST = 'localhost';
      }),
    ).toContain(`${appName}: Redis at localhost, not the redis service`);
    // REDIS_URL wins over the parts, as in server/config.ts.
    expect(
      edit((c) => {
        obj(serviceOf(c).environment).REDIS_URL = 'redis://:pw@cache:6379/0';
      }),
    ).toContain(`${appName}: Redis at cache, not the redis service`);
    expect(
      edit((c) => {
        obj(serviceOf(c).environment).REDIS_PASSWORD = '${OTHER_REDIS_PASSWORD}';
      }),
    ).toEqual([`${appName}: connects with another password than redis requires`]);
    expect(
      edit((c) => {
        delete obj(serviceOf(c).environment).REDIS_HOST;
      }),
    ).toContain(`${appName}: server/config.ts refuses it: REDIS_PORT and REDIS_PASSWORD need REDIS_HOST (or set REDIS_URL).`);
    expect(
      edit((c) => {
        obj(serviceOf(c).environment).LEASE_TTL_S = '1';
      }),
    ).toEqual([expect.stringMatching(new RegExp(`^${appName}: server/config.ts refuses it: Invalid configuration:\\n\\s+LEASE_TTL_S`))]);
    expect(
      edit((c) => {
        const env = obj(serviceOf(c).environment);
        delete env.AUTH_TOKEN_FILE;
        delete env.AUTH_PASSWORD_FILE;
      }),
    ).toContain(`${appName}: no AUTH_TOKEN or AUTH_PASSWORD (the server refuses 0.0.0.0 without one)`);
    expect(
      edit((c) => {
        obj(serviceOf(c).environment).MAX_RUNS = '4';
      }),
    ).toContain(`${appName}: MAX_RUNS is not a setting server/config.ts knows`);
    expect(
      edit((c) => {
        delete obj(c.services)['claude-remote-b'];
      }),
    ).toContain('expected at least two Claude Remote services, found 1');
  });

  it('in deploy/k8s', () => {
    const docs = k8sDocs();
    const broken = (change: (app: Obj, docs: Doc[]) => void) => {
      const copy = clone(docs);
      const app = copy.find((d) => d.kind === 'Deployment' && nameOf(d) === 'claude-remote') as Doc;
      change(app, copy);
      return k8sProblems(copy, imageEnv);
    };
    const container = (app: Obj) => obj(arr(obj(obj(obj(app.spec).template).spec).containers)[0]);
    expect(broken((app) => (obj(app.spec).replicas = 1))).toEqual(['replicas is 1, expected 2 or more']);
    expect(broken((app) => (obj(obj(container(app).readinessProbe).httpGet).port = 9999))).toEqual([
      'readinessProbe asks port 9999, the server listens on 8765',
    ]);
    expect(broken((app) => (obj(obj(container(app).livenessProbe).httpGet).path = '/'))).toEqual(['livenessProbe does not ask /health']);
    expect(
      broken((app) => {
        delete obj(obj(obj(obj(app.spec).template).spec).securityContext).runAsNonRoot;
      }),
    ).toEqual(['runAsNonRoot is not set']);
    expect(
      broken((app) => {
        const pod = obj(obj(obj(app.spec).template).spec);
        pod.volumes = arr(pod.volumes).map((v) => (obj(v).name === 'data' ? { name: 'data', persistentVolumeClaim: { claimName: 'claude-remote-sessions' } } : v));
      }),
    ).toEqual(['DATA_DIR is not per pod (an emptyDir or ephemeral volume): the replicas would share it']);
    expect(
      broken((app) => {
        container(app).volumeMounts = arr(container(app).volumeMounts).filter((m) => obj(m).mountPath !== '/home/node/.claude');
      }),
    ).toEqual(["nothing is mounted on the CLI's home /home/node/.claude"]);
    expect(
      broken((app) => {
        container(app).env = arr(container(app).env).filter((e) => obj(e).name !== 'SESSIONS_DIR');
      }),
    ).toEqual(['nothing is mounted on SESSIONS_DIR /data/sessions']);
    expect(
      broken((_app, all) => {
        const service = all.find((d) => d.kind === 'Service' && nameOf(d) === 'claude-remote') as Doc;
        obj(obj(service.spec).selector)['app.kubernetes.io/component'] = 'web';
      }),
    ).toEqual(["no Service selects the Deployment's pods"]);
    expect(
      broken((_app, all) => {
        const secret = all.find((d) => d.kind === 'Secret') as Doc;
        obj(secret.stringData)['redis-url'] = 'redis://:pw@redis:6379/0';
      }),
    ).toEqual(['Redis at redis, which no Service is']);
    expect(
      broken((_app, all) => {
        const secret = all.find((d) => d.kind === 'Secret') as Doc;
        delete obj(secret.stringData)['redis-password'];
      }),
    ).toEqual(['secret claude-remote has no key redis-password', 'connects to Redis without a password']);
    expect(
      broken((app) => {
        container(app).env = arr(container(app).env).map((e) => (obj(e).name === 'REDIS_PASSWORD' ? { name: 'REDIS_PASSWORD', value: 'another' } : e));
      }),
    ).toEqual(['connects with another password than Redis requires']);
    expect(
      broken((app) => {
        arr(container(app).env).push({ name: 'CLAUDE_REMOTE_LEASE', value: '15' });
      }),
    ).toEqual(['env CLAUDE_REMOTE_LEASE is not a setting server/config.ts knows']);
  });

  it('knows the settings server/config.ts reads', () => {
    expect(SERVER_ENV.size).toBeGreaterThan(30);
    for (const name of ['HOST', 'PORT', 'DATA_DIR', 'ALLOWED_ROOTS', 'REDIS_URL', 'REDIS_HOST', 'REDIS_PASSWORD', 'LEASE_TTL_S', 'AUTH_TOKEN_FILE']) {
      expect(SERVER_ENV).toContain(name);
    }
  });
});
