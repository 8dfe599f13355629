/**
 * Redis connection settings from a URL (`redis://[user[:password]@]host[:port][/db]`, or
 * `rediss://` for TLS), and a quick probe that turns "no Redis there" or "wrong password" into a
 * clear ExecError within seconds instead of BullMQ's endless reconnecting.
 */
import type { ConnectionOptions } from "bullmq";
import type { RedisOptions } from "ioredis";
import { Redis } from "ioredis";
import { isIP } from "node:net";
import { ExecError, messageOf } from "./executor.js";

export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

/** The URL as it may be printed: the password replaced by ***. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString().replace(/\/$/, "");
  } catch {
    return "(unparseable URL)";
  }
}

/** ioredis options of a Redis URL; throws ExecError naming what is wrong with it. */
export function redisOptionsFromUrl(url: string): RedisOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ExecError(`--redis: '${redactUrl(url)}' is not a URL (expected redis://host:port)`);
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:")
    throw new ExecError(
      `--redis: unsupported scheme '${parsed.protocol}' (expected redis:// or rediss://)`,
    );
  // WHATWG URL keeps brackets around IPv6 hosts; sockets want them off
  const host = parsed.hostname.replace(/^\[(.*)\]$/, "$1") || "127.0.0.1";
  const port = parsed.port === "" ? 6379 : Number(parsed.port);
  const options: RedisOptions = { host, port };
  if (parsed.username) options.username = decodeURIComponent(parsed.username);
  if (parsed.password) options.password = decodeURIComponent(parsed.password);
  const db = parsed.pathname.replace(/^\//, "");
  if (db !== "") {
    if (!/^\d+$/.test(db))
      throw new ExecError(`--redis: database '${db}' in the URL path is not a number`);
    options.db = Number(db);
  }
  // SNI for host names (not allowed for IP addresses, RFC 6066); a private CA comes from
  // NODE_EXTRA_CA_CERTS or the `connection` option
  if (parsed.protocol === "rediss:") options.tls = isIP(host) ? {} : { servername: host };
  return options;
}

function timeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000} s`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Why a Redis reply or socket error stopped us, in words a user can act on. */
function explain(message: string): string {
  if (/WRONGPASS|invalid password|invalid username-password/i.test(message))
    return `the password (or user name) was refused: ${message}`;
  if (/NOAUTH/i.test(message))
    return `Redis asks for a password the URL does not give (redis://:PASSWORD@host:port): ${message}`;
  return message;
}

/**
 * Connects once, authenticates and sends PING, without retries; throws ExecError when any of it
 * fails or takes longer than `timeoutMs`.
 */
export async function probeRedis(
  url: string,
  connection: RedisOptions = {},
  timeoutMs = DEFAULT_CONNECT_TIMEOUT_MS,
): Promise<void> {
  const options = { ...redisOptionsFromUrl(url), ...connection };
  const client = new Redis({
    ...options,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  let lastError: string | undefined;
  client.on("error", (error: Error) => (lastError = error.message));
  try {
    await timeout(client.connect(), timeoutMs, "connect");
    await timeout(client.ping(), timeoutMs, "PING");
  } catch (error) {
    // ioredis rejects with "Connection is closed."; the socket or server error says why
    const reason = explain(lastError ?? messageOf(error));
    throw new ExecError(`cannot use Redis at ${redactUrl(url)}: ${reason}`);
  } finally {
    client.disconnect();
  }
}

/** Options for BullMQ's long-lived connections: reconnect with a capped back-off. */
export function bullConnection(url: string, connection: RedisOptions = {}): ConnectionOptions {
  const options: RedisOptions = {
    ...redisOptionsFromUrl(url),
    connectTimeout: DEFAULT_CONNECT_TIMEOUT_MS,
    retryStrategy: (times: number) => Math.min(250 * 2 ** times, 10_000),
    ...connection,
  };
  // BullMQ declares its own (looser) copy of ioredis's option type; these are ioredis options
  return options as ConnectionOptions;
}
