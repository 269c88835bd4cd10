import { connect, type Socket } from 'node:net';

/** A parsed raw HTTP response: status, lower-case headers, body text. */
export interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * Sends bytes exactly as given over a fresh TCP connection and reads one response until the server closes
 * or `timeoutMilliseconds` pass: for requests `fetch` cannot make (malformed lines, huge headers, a body
 * shorter than its Content-Length). `localAddress` picks the loopback address the server sees as the client.
 */
export function rawRequest(
  url: string,
  bytes: string,
  options: { readonly localAddress?: string; readonly timeoutMilliseconds?: number } = {},
): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), localAddress: options.localAddress });
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer in ${options.timeoutMilliseconds ?? 30_000} ms: ${received}`));
    }, options.timeoutMilliseconds ?? 30_000);
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      const parsed = parseResponse(received);
      if (parsed !== undefined) {
        clearTimeout(timer);
        socket.destroy();
        resolve(parsed);
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.write(bytes);
  });
}

/** Opens a connection and keeps it open (for connection-cap tests); the caller destroys it. */
export function openConnection(url: string, localAddress?: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), localAddress }, () => resolve(socket));
    socket.on('error', reject);
  });
}

function parseResponse(text: string): RawResponse | undefined {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = Number(headers['content-length'] ?? Number.NaN);
  const body = text.slice(end + 4);
  if (Number.isFinite(length) && Buffer.byteLength(body, 'latin1') < length) return undefined;
  return { status: Number(statusLine?.split(' ')[1]), headers, body: Buffer.from(body, 'latin1').toString() };
}
