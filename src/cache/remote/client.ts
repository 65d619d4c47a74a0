// The one file that knows the Redis client library (ioredis). It is imported on the first remote
// request, never at package import: a user without a remote cache never loads it.
import { isIP } from 'node:net';
import type { RemoteConfig } from './config.js';

export type RedisArg = string | Buffer | number;

/** What the store needs of a connection: one command at a time, replies with bulk strings as Buffers. */
export interface RedisLink {
  call(command: string, args: readonly RedisArg[]): Promise<unknown>;
  /** Drops the connection now; pending commands fail. */
  close(): void;
}

type RedisClass = (typeof import('ioredis'))['Redis'];
let loading: Promise<RedisClass> | undefined;

/** The client library, imported once. */
function loadClient(): Promise<RedisClass> {
  loading ??= import('ioredis').then((m) => m.Redis);
  return loading;
}

/**
 * Starts importing the client library in the background (the tier calls it when it is configured),
 * so the first request does not pay for it: loading it takes 100-700 ms on a busy 2-core machine.
 */
export function preloadRedisClient(): void {
  loadClient().catch(() => undefined); // a failure surfaces on the first connect
}

/**
 * Connects to the configured Redis within its connect timeout, or throws. The client never
 * reconnects or queues by itself (the store decides when to try again) and its socket never keeps
 * the process alive: the store's own timers bound every request instead.
 */
export async function connectRedis(config: RemoteConfig): Promise<RedisLink> {
  const Redis = await loadClient();
  const client = new Redis({
    host: config.host,
    port: config.port,
    db: config.db,
    ...(config.username !== undefined ? { username: config.username } : {}),
    ...(config.password !== undefined ? { password: config.password.reveal() } : {}),
    ...(config.tls ? { tls: isIP(config.host) ? {} : { servername: config.host } } : {}),
    connectTimeout: config.connectTimeoutMs,
    lazyConnect: true,
    enableReadyCheck: false, // the ready check is a request that a stalled server never answers
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    retryStrategy: () => null,
    connectionName: 'dwconv-jit',
  });
  // Without a listener ioredis prints every socket error; the store reports failures itself, once.
  // The socket's error (ECONNREFUSED, ...) says more than the "Connection is closed." connect gives.
  let socketError: Error | undefined;
  client.on('error', (err: Error) => {
    socketError ??= err;
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.connect(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no connection within ${config.connectTimeoutMs} ms`)), config.connectTimeoutMs);
      }),
    ]);
  } catch (err) {
    client.disconnect();
    throw socketError ?? err;
  } finally {
    clearTimeout(timer);
  }
  client.stream?.unref?.();
  return {
    call: (command, args) => client.callBuffer(command, ...args) as Promise<unknown>,
    close: () => client.disconnect(),
  };
}
