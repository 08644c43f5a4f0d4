// The public API of the `wassl` package. The WIT-level types (what the
// engine reports) come from jco's declarations of the component in gen/.
import type { ConnectionInfo, BadCert, ClientSession, TlsError as WitTlsError } from '../gen/interfaces/wassl-tls-types.js';
import type { TlsOption } from '../gen/interfaces/wassl-tls-options.js';
import type { Progress } from '../gen/interfaces/wassl-tls-handshake.js';
import type { PeerChain } from '../gen/interfaces/wassl-tls-verify.js';

// Node's `net.Server` and `net.Socket`, as far as this API uses them (no
// dependency on @types/node).
export interface Server {
  address(): { port: number; address: string; family: string } | string | null;
  close(callback?: (err?: Error) => void): this;
}
export interface Socket {
  write(data: Uint8Array | string): boolean;
  end(): this;
  destroy(error?: Error): this;
}

export type { ConnectionInfo, BadCert, ClientSession, TlsOption, Progress, PeerChain };

/** A file option: a path (Node reads it) or the path and its contents. */
export type PemFile = string | { path: string; contents: Uint8Array };
/** `{key, {Tag, Der}}`. */
export interface PrivateKey {
  type: 'RSAPrivateKey' | 'ECPrivateKey' | 'PrivateKeyInfo';
  der: Uint8Array;
}
/** One entry of `certsKeys` or `sniHosts`. */
export interface CertKey {
  cert?: Uint8Array | Uint8Array[];
  certfile?: PemFile;
  key?: PrivateKey;
  keyfile?: PemFile;
}

/**
 * `ssl` options in JavaScript shape: Erlang's names in camelCase, atoms as
 * strings, DER as Uint8Array. Callbacks ride along (`verifyFun`, `keylog`...).
 */
export interface TlsOptions {
  verify?: 'verify_peer' | 'verify_none';
  cacerts?: Uint8Array[];
  cacertfile?: PemFile;
  cert?: Uint8Array | Uint8Array[];
  certfile?: PemFile;
  key?: PrivateKey;
  keyfile?: PemFile;
  versions?: Array<'tlsv1.2' | 'tlsv1.3'>;
  serverNameIndication?: string | 'disable' | false;
  alpnAdvertisedProtocols?: Array<string | Uint8Array>;
  alpnPreferredProtocols?: Array<string | Uint8Array>;
  failIfNoPeerCert?: boolean;
  crlCheck?: boolean | 'peer' | 'best_effort';
  crls?: Uint8Array[];
  certsKeys?: CertKey[];
  sniHosts?: Record<string, CertKey | CertKey[]>;
  ciphers?: string[];
  honorCipherOrder?: boolean;
  supportedGroups?: string[];
  eccs?: string[];
  honorEccOrder?: boolean;
  middleboxCompMode?: boolean;
  certificateAuthorities?: boolean;
  signatureAlgs?: string[];
  sessionTickets?: 'disabled' | 'stateless' | 'stateful';
  reuseSessions?: boolean;
  ticketKeys?: Uint8Array[];
  clientSessions?: { keepTickets?: boolean; keepTls12?: boolean; offer?: Uint8Array[] };
  /** Server: the 0-RTT bytes accepted; client: the 0-RTT data to send. */
  earlyData?: number | string | Uint8Array;
  /** Erlang's verify_fun: return true to accept, or a reason to refuse. */
  verifyFun?: (chain: PeerChain) => true | BadCert;
  /** Secrets in NSS key log format, one line each (`keep_secrets`). */
  keylog?: (line: string) => void;
  /** A client's new TLS 1.3 ticket or TLS 1.2 session, to offer later. */
  onSession?: (session: ClientSession) => void;
  /** false: all crypto in the sandbox (`{host_crypto, false}`). */
  hostCrypto?: boolean;
  /** The name a client verifies and sends (default: the host connected to). */
  serverName?: string;
  /** A server's failed handshake or sandbox. */
  onError?: (e: Error) => void;
  trace?: (event: object) => void;
}

export type Options = TlsOptions | TlsOption[];

/** `{error, {options, {Opt, Value}}}`. */
export class OptionError extends Error {
  readonly option: string;
  readonly value: unknown;
  readonly detail: string;
  readonly reason: string;
}

/** An error of the engine: `{tls_alert, {Description, Text}}`, `closed`, `einval`. */
export class TlsError extends Error {
  readonly error: WitTlsError | object;
  /** The alert record(s) to send before closing. */
  readonly output: Uint8Array;
  readonly reason: string;
}

export function tlsOptions(role: 'client' | 'server', opts?: Options): { options: TlsOption[]; hooks: Partial<TlsOptions> };
export function pemDecode(text: string | Uint8Array): Array<{ label: string; der: Uint8Array }>;
export function badCertName(b: BadCert | undefined): string;
export function records(bytes: Uint8Array): Array<{ type: string; length: number; message?: string }>;
export const CHACHA_FIRST: string[];
export const noHostCrypto: object;

/** One connection in its own sandbox: sans-I/O. */
export class TlsConnection {
  readonly role: 'client' | 'server';
  readonly done: boolean;
  readonly handshaking: boolean;
  /** Bytes from the peer in; records to send and plaintext out. */
  feed(bytes: Uint8Array): Progress;
  /** A client's first flight. */
  start(): Uint8Array;
  send(data: Uint8Array): Uint8Array;
  closeNotify(): Uint8Array;
  /** `connection_information/1`. */
  info(): ConnectionInfo;
  peerCertificates(): Uint8Array[];
  /** `export_key_materials/4`. */
  exportKeyingMaterial(label: Uint8Array, context: Uint8Array | undefined, length: number): Uint8Array;
}

/** The compiled component: one sandbox per `connect`. */
export class Engine {
  static load(compile: (name: string) => Promise<WebAssembly.Module>, crypto?: object): Promise<Engine>;
  connect(role: 'client' | 'server', options: Options, hooks?: Partial<TlsOptions>): Promise<TlsConnection>;
}

/** Node: the engine (Node's crypto as host crypto unless `crypto` says otherwise). Browser: `base` is where gen/ is served. */
export function loadEngine(opts?: { crypto?: object; base?: URL | string }): Promise<Engine>;

// Node only (the `node` export condition).

/** A TLS connection over a TCP socket. */
export class TlsSocket {
  readonly socket: Socket;
  readonly tls: TlsConnection;
  handshake(): Promise<TlsSocket>;
  write(data: string | Uint8Array): void;
  /** The next plaintext chunk, or null once the peer closed. */
  read(): Promise<Uint8Array | null>;
  close(): Promise<void>;
}
export function defaultEngine(): Promise<Engine>;
export const nodeCrypto: object;
/** A PEM file as the WIT file options take it. */
export function pem(tag: 'cacertfile' | 'certfile' | 'keyfile', path: string): Promise<TlsOption>;
export function readOptionFiles(opts: Options): Promise<Options>;
/** `ssl:connect/4`. */
export function connect(host: string, port: number, options?: Options): Promise<TlsSocket>;
export function connect(engine: Engine, host: string, port: number, options: Options, hooks?: Partial<TlsOptions>): Promise<TlsSocket>;
/** `ssl:listen/2` and `ssl:handshake/1` for each client. */
export function listen(port: number, options: Options, onConnection: (s: TlsSocket) => void): Promise<Server>;
export function listen(engine: Engine, port: number, options: Options, onConnection: (s: TlsSocket) => void, hooks?: Partial<TlsOptions>): Promise<Server>;
