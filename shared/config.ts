import os from 'node:os';
import path from 'node:path';
import { DEPARTMENTS, DepartmentName, envName } from './departments';
import { isFetchBlockedPort, localUrl } from './http';
import { projectPath } from './project-root';

/**
 * Every setting OneSource reads, read once at start-up into one typed object and passed down.
 * README.md ("Settings") documents each variable.
 */
export interface Config {
  /** Where the embedded SQLite stores and generated files live. */
  dataDir: string;
  /** `mysql://user:pass@host:port`: every store on MySQL, one database per store; unset = SQLite. */
  mysqlUrl: string | undefined;
  /**
   * One store's own server, overriding `mysqlUrl` for it alone (`ONESOURCE_<NAME>_MYSQL_URL`,
   * `ONESOURCE_GATEWAY_MYSQL_URL`): how a department moves to MySQL replicas or TiDB by configuration.
   */
  storeMysqlUrls: Record<string, string>;
  /** Database name prefix on MySQL (`onesource_` gives `onesource_persons`). */
  databasePrefix: string;
  gatewayPort: number;
  /** Gateway processes sharing the port under `node:cluster` (1 = no cluster). */
  gatewayWorkers: number;
  /**
   * V8's old-space limit (MB) for every process `npm start` runs (`node --max-old-space-size`);
   * 0 = V8's own default. See README, "Memory".
   */
  maxHeapMb: number;
  /**
   * How far V8 lets the old generation grow past what survived the last full collection before
   * the next one (`node --heap-growing-percent`); 0 = V8's own choice. See README, "Memory".
   */
  heapGrowingPercent: number;
  /**
   * The largest each of V8's young-generation semi-spaces may grow (MB) for the same processes
   * (`node --max-semi-space-size`); 0 = V8's own choice. See README, "Memory".
   */
  maxSemiSpaceMb: number;
  /** Host the servers bind to. */
  host: string;
  subgraphs: Record<DepartmentName, { port: number; url: string }>;
  /** Where the gateway reads the departments' SDL to compose (`<schemaDir>/<name>/schema.graphql`). */
  schemaDir: string;
  /** How often the gateway looks for changed SDL files and recomposes; 0 = never (no hot reload). */
  schemaPollMs: number;
  /** Change notices go to consumers that read the changed record within this many days. */
  changeNoticeDays: number;
  /** How the gateway calls each department when it is slow or down (gateway/resilience.ts). */
  resilience: Record<DepartmentName, SubgraphResilience>;
  /** Same-turn fetches to a department for the same caller go as one call (gateway/fetch-merging.ts). */
  mergeFetches: boolean;
  /**
   * `npm start` fills an empty department store with the synthetic province. Never in production,
   * where an empty store means a wrong database name or URL, not a fresh checkout.
   */
  seedEmptyStores: boolean;
  logLevel: string;
  auth: {
    /** JWKS of the identity provider that issues consumer tokens; unset = the dev IdP key under dataDir. */
    jwksUrl: string | undefined;
    issuer: string;
    audience: string;
    /** Offer tokens for the seeded consumers (npm run token, the playground picker). Never in production. */
    devTokens: boolean;
    /** Where departments fetch the gateway's public key; unset = the key file under dataDir. */
    gatewayJwksUrl: string | undefined;
  };
  /** What one request may ask for (gateway/limits/): checked before an operation is planned. */
  limits: {
    maxDepth: number;
    maxAliases: number;
    maxTokens: number;
    maxDirectives: number;
    /** graphql-armor's cost estimate; `costByConsumer` raises or lowers it for named consumers. */
    maxCost: number;
    costByConsumer: Record<string, number>;
    /** Largest request body, in bytes. */
    maxBodyBytes: number;
    /** Requests per consumer per window, counted in Redis so every gateway replica shares the count. */
    rateLimit: {
      perWindow: number;
      windowSeconds: number;
      byConsumer: Record<string, number>;
      redisUrl: string;
      /** Prefix of every Redis key (tests use their own). */
      redisPrefix: string;
    };
  };
  /** Automatic persisted queries (gateway/persisted-queries.ts). */
  persistedQueries: {
    /** `redis`: one cache shared by every gateway replica (falls back to each process's memory while Redis is unreachable); `memory`: Apollo's own, per process. */
    cache: 'redis' | 'memory';
    /** How long a registered query is kept, in seconds; 0 = until evicted. */
    ttlSeconds: number;
    /** The same Redis (and key prefix) as the rate limits. */
    redisUrl: string;
    redisPrefix: string;
  };
  /** Schema introspection and the playground page: both off in production unless asked for. */
  introspection: boolean;
  playground: boolean;
}

/** Timeout, retries and circuit breaker of the gateway's calls to one subgraph. */
export interface SubgraphResilience {
  /** Budget of one call, retries included: a department never holds an answer longer. */
  timeoutMs: number;
  /** Extra attempts after a failure, for queries only (a mutation is never sent twice). */
  retries: number;
  /** First retry delay; doubles up to 8 times this. */
  retryDelayMs: number;
  /** Consecutive failures that open the breaker: calls then fail at once instead of waiting. */
  breakerFailures: number;
  /** How long an open breaker waits before letting one call through to test the department. */
  halfOpenAfterMs: number;
}

/** The defaults; each is overridable per department, e.g. ONESOURCE_CREDIT_TIMEOUT_MS. */
export const RESILIENCE_DEFAULTS: SubgraphResilience = {
  timeoutMs: 5_000,
  retries: 2,
  retryDelayMs: 50,
  breakerFailures: 5,
  halfOpenAfterMs: 10_000,
};

/** Settings of one subgraph's calls: ONESOURCE_<NAME>_{TIMEOUT_MS,RETRIES,RETRY_DELAY_MS,BREAKER_FAILURES,HALF_OPEN_MS}. */
export function readResilience(env: NodeJS.ProcessEnv, envPrefix: string): SubgraphResilience {
  const d = RESILIENCE_DEFAULTS;
  return {
    timeoutMs: positiveIntSetting(env, `${envPrefix}_TIMEOUT_MS`, d.timeoutMs, 'every call to the department would time out at once'),
    retries: intSetting(env, `${envPrefix}_RETRIES`, d.retries),
    retryDelayMs: intSetting(env, `${envPrefix}_RETRY_DELAY_MS`, d.retryDelayMs),
    breakerFailures: positiveIntSetting(env, `${envPrefix}_BREAKER_FAILURES`, d.breakerFailures, 'the circuit would open before any call failed'),
    halfOpenAfterMs: intSetting(env, `${envPrefix}_HALF_OPEN_MS`, d.halfOpenAfterMs),
  };
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const host = env.ONESOURCE_HOST ?? '127.0.0.1';
  const subgraphs = {} as Config['subgraphs'];
  const storeMysqlUrls: Config['storeMysqlUrls'] = {};
  for (const store of [...DEPARTMENTS.map((d) => d.name), 'gateway']) {
    const url = mysqlUrlSetting(env, `ONESOURCE_${store.toUpperCase().replace(/-/g, '_')}_MYSQL_URL`);
    if (url) storeMysqlUrls[store] = url;
  }
  const gatewayPort = portSetting(env, 'ONESOURCE_GATEWAY_PORT', 4000);
  const ports: { name: string; port: number }[] = [{ name: 'ONESOURCE_GATEWAY_PORT', port: gatewayPort }];
  const resilience = {} as Config['resilience'];
  for (const d of DEPARTMENTS) {
    const portName = `ONESOURCE_${envName(d.name)}_PORT`;
    const port = portSetting(env, portName, d.port);
    ports.push({ name: portName, port });
    const url = subgraphUrlSetting(env, `ONESOURCE_${envName(d.name)}_URL`) ?? localUrl(host, port, '/graphql');
    subgraphs[d.name] = { port, url };
    resilience[d.name] = readResilience(env, `ONESOURCE_${envName(d.name)}`);
  }
  refuseSharedPorts(env, ports);
  const redisUrl = urlSetting(env, 'ONESOURCE_REDIS_URL', ['redis', 'rediss'], 'redis://host:6379') ?? 'redis://127.0.0.1:6379';
  return {
    dataDir: path.resolve(env.ONESOURCE_DATA_DIR ?? projectPath('.data')),
    mysqlUrl: mysqlUrlSetting(env, 'ONESOURCE_MYSQL_URL'),
    storeMysqlUrls,
    databasePrefix: env.ONESOURCE_DB_PREFIX ?? 'onesource_',
    gatewayPort,
    // `0` or `auto`: one worker per core the process may use.
    gatewayWorkers: env.ONESOURCE_GATEWAY_WORKERS?.toLowerCase() === 'auto' ? os.availableParallelism() : intSetting(env, 'ONESOURCE_GATEWAY_WORKERS', 1) || os.availableParallelism(),
    maxHeapMb: intSetting(env, 'ONESOURCE_MAX_HEAP_MB', 192),
    heapGrowingPercent: intSetting(env, 'ONESOURCE_HEAP_GROWING_PERCENT', 100),
    maxSemiSpaceMb: intSetting(env, 'ONESOURCE_MAX_SEMI_SPACE_MB', 16),
    host,
    subgraphs,
    resilience,
    mergeFetches: flagSetting(env, 'ONESOURCE_MERGE_FETCHES', true),
    seedEmptyStores: flagSetting(env, 'ONESOURCE_SEED_EMPTY_STORES', env.NODE_ENV !== 'production'),
    schemaDir: path.resolve(env.ONESOURCE_SCHEMA_DIR ?? projectPath('subgraphs')),
    schemaPollMs: intSetting(env, 'ONESOURCE_SCHEMA_POLL_MS', 1000),
    changeNoticeDays: intSetting(env, 'ONESOURCE_CHANGE_NOTICE_DAYS', 30),
    logLevel: logLevelSetting(env, 'ONESOURCE_LOG_LEVEL', 'info'),
    auth: {
      jwksUrl: urlSetting(env, 'ONESOURCE_JWKS_URL', HTTP, 'https://idp.example/.well-known/jwks.json'),
      issuer: env.ONESOURCE_JWT_ISSUER ?? 'onesource-dev-idp',
      audience: env.ONESOURCE_JWT_AUDIENCE ?? 'onesource-gateway',
      devTokens: flagSetting(env, 'ONESOURCE_DEV_TOKENS', !env.ONESOURCE_JWKS_URL && env.NODE_ENV !== 'production'),
      gatewayJwksUrl: urlSetting(env, 'ONESOURCE_GATEWAY_JWKS_URL', HTTP, 'http://gateway:4000/.well-known/jwks.json'),
    },
    limits: {
      // 0 would refuse every operation (every document has a depth, tokens and a cost): a mistake.
      maxDepth: positiveIntSetting(env, 'ONESOURCE_MAX_DEPTH', 10, 'it would refuse every operation'),
      // 0 aliases or 0 directives is a policy a deployment may choose.
      maxAliases: intSetting(env, 'ONESOURCE_MAX_ALIASES', 120),
      maxTokens: positiveIntSetting(env, 'ONESOURCE_MAX_TOKENS', 5000, 'it would refuse every operation'),
      maxDirectives: intSetting(env, 'ONESOURCE_MAX_DIRECTIVES', 50),
      maxCost: positiveIntSetting(env, 'ONESOURCE_MAX_COST', 20000, 'it would refuse every operation'),
      costByConsumer: perConsumerSetting(env, 'ONESOURCE_MAX_COST_BY_CONSUMER', 'cost'),
      maxBodyBytes: positiveIntSetting(env, 'ONESOURCE_MAX_BODY_BYTES', 1024 * 1024, 'it would refuse every request with HTTP 413'),
      rateLimit: {
        perWindow: positiveIntSetting(env, 'ONESOURCE_RATE_LIMIT', 6000, 'it would refuse every request'),
        windowSeconds: positiveIntSetting(env, 'ONESOURCE_RATE_LIMIT_WINDOW', 60, 'a window of 0 s counts nothing'),
        byConsumer: perConsumerSetting(env, 'ONESOURCE_RATE_LIMIT_BY_CONSUMER', 'requests'),
        redisUrl,
        redisPrefix: env.ONESOURCE_REDIS_PREFIX ?? 'onesource:',
      },
    },
    persistedQueries: {
      cache: choiceSetting(env, 'ONESOURCE_APQ_CACHE', ['redis', 'memory'] as const, 'redis'),
      ttlSeconds: intSetting(env, 'ONESOURCE_APQ_TTL', 86_400),
      redisUrl,
      redisPrefix: env.ONESOURCE_REDIS_PREFIX ?? 'onesource:',
    },
    introspection: flagSetting(env, 'ONESOURCE_INTROSPECTION', env.NODE_ENV !== 'production'),
    playground: flagSetting(env, 'ONESOURCE_PLAYGROUND', env.NODE_ENV !== 'production'),
  };
}

/** Schemes the JWKS and subgraph URLs may have. */
const HTTP = ['http', 'https'] as const;

/**
 * A whole number written in decimal digits alone: `0x10`, `1e3`, `-1`, `1.5` or ` 80` are refused
 * rather than read as something the operator did not write.
 */
function intSetting(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n)) throw new Error(`${name} must be a whole number written in digits (0-9), not "${raw}"`);
  return n;
}

/** A whole number where 0 can only be a mistake: `why` says what 0 would do. */
function positiveIntSetting(env: NodeJS.ProcessEnv, name: string, fallback: number, why: string): number {
  const n = intSetting(env, name, fallback);
  if (n === 0) throw new Error(`${name} must be a whole number of at least 1, not 0: ${why}`);
  return n;
}

/**
 * A TCP port, 1-65535. Port 0 (any free port) is refused: the gateway composes its own sharing
 * subgraph at its port and the subgraphs' default URLs name theirs, so each needs a known one.
 * A port that browsers and fetch refuse (6000, 10080, ...) is refused too, by its name.
 */
function portSetting(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const port = intSetting(env, name, fallback);
  if (port < 1 || port > 65_535) throw new Error(`${name} must be a port number from 1 to 65535, not "${env[name]}"`);
  if (isFetchBlockedPort(port)) throw fetchBlocked(`${name} is ${port}`);
  return port;
}

/** `npm start` runs the gateway and the five subgraphs on one host: no two may share a port. */
function refuseSharedPorts(env: NodeJS.ProcessEnv, ports: { name: string; port: number }[]) {
  const named = (name: string) => (env[name] ? name : `${name} (unset: its default)`);
  for (let i = 0; i < ports.length; i++) {
    for (let j = i + 1; j < ports.length; j++) {
      if (ports[i].port === ports[j].port) {
        throw new Error(`${named(ports[i].name)} and ${named(ports[j].name)} are both ${ports[i].port}: each process needs a port of its own`);
      }
    }
  }
}

/**
 * A URL with one of `schemes`, as given (unset or empty: undefined). Refusals name the variable
 * but never echo its value, which may hold a password: at most its scheme.
 */
function urlSetting(env: NodeJS.ProcessEnv, name: string, schemes: readonly string[], example: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const accepted = schemes.map((s) => `${s}://`).join(' or ');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`${name} is not a URL: it must be a ${accepted} URL such as ${example} (the value is not shown: it may hold a password)`);
  }
  const scheme = url.protocol.replace(/:$/, '');
  if (!schemes.includes(scheme)) throw new Error(`${name} must be a ${accepted} URL such as ${example}, not one with the scheme "${scheme}"`);
  if (!url.hostname) throw new Error(`${name} must name a host, as in ${example}`);
  return raw;
}

/**
 * Where the gateway calls a subgraph: an http(s) URL, not on a port fetch refuses, for the gateway's
 * readiness check asks every subgraph with fetch. (The JWKS URLs are fetched by jose with node:http,
 * which knows no bad ports.)
 */
function subgraphUrlSetting(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = urlSetting(env, name, HTTP, 'http://host:4001/graphql');
  const port = raw && new URL(raw).port;
  if (port && isFetchBlockedPort(Number(port))) throw fetchBlocked(`${name} names port ${port}`);
  return raw;
}

const fetchBlocked = (what: string) => new Error(`${what}, a port browsers and fetch refuse to connect to (the Fetch standard's bad ports): choose another`);

/**
 * A MySQL-compatible server: `mysql://` or `mariadb://` (both read the same way, by shared/db.ts;
 * MariaDB and TiDB speak MySQL's protocol), with a host.
 */
function mysqlUrlSetting(env: NodeJS.ProcessEnv, name: string): string | undefined {
  return urlSetting(env, name, ['mysql', 'mariadb'], 'mysql://user:password@host:3306');
}

/** pino's levels, in any case (pino itself takes `INFO` but not `SILENT`: read in lower case). */
const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

function logLevelSetting(env: NodeJS.ProcessEnv, name: string, fallback: string): string {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const level = raw.toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new Error(`${name} must be one of ${LOG_LEVELS.join(', ')} (any case), not "${raw}"`);
  return level;
}

/**
 * `consumer=number,consumer=number`: per-consumer overrides of a limit. Each entry is one
 * consumer, one `=` and a whole number of at least 1 (0 would refuse that consumer everything:
 * take its grants away instead); a consumer named twice is refused.
 */
function perConsumerSetting(env: NodeJS.ProcessEnv, name: string, what: string): Record<string, number> {
  const raw = env[name];
  const map: Record<string, number> = {};
  if (!raw) return map;
  for (const entry of raw.split(',').map((p) => p.trim()).filter(Boolean)) {
    const match = /^([^=\s]+)\s*=\s*(\d+)$/.exec(entry);
    const n = match ? Number(match[2]) : NaN;
    if (!match || !Number.isSafeInteger(n) || n < 1) {
      throw new Error(`${name} must read consumer=${what},consumer=${what} with whole numbers of at least 1: "${entry}" is not such an entry`);
    }
    if (match[1] in map) throw new Error(`${name} names consumer "${match[1]}" twice`);
    map[match[1]] = n;
  }
  return map;
}
function choiceSetting<T extends string>(env: NodeJS.ProcessEnv, name: string, choices: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(choices as readonly string[]).includes(raw)) throw new Error(`${name} must be one of ${choices.join(', ')}, not "${raw}"`);
  return raw as T;
}

function flagSetting(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'on', 'yes'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'off', 'no'].includes(raw.toLowerCase())) return false;
  throw new Error(`${name} must be true or false, not "${raw}"`);
}
