import type { Server } from 'node:http';
import type { Socket } from 'node:net';

export interface ConnectionLimits {
  /** Open connections in total; beyond it new ones are closed at once. Keep it under the descriptor limit. */
  readonly maximumConnections: number;
  /** Open connections from one address; beyond it that address's new connections are closed at once. */
  readonly maximumConnectionsPerClient: number;
}

/**
 * Caps open connections, in total and per client address, so slow clients holding connections open (a body
 * that never finishes) cannot use up the process's file descriptors: the health check and other clients
 * still get through, and the request timeout frees the held ones.
 */
export function limitConnections(server: Server, limits: ConnectionLimits): void {
  server.maxConnections = limits.maximumConnections;
  const perClient = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    const open = (perClient.get(address) ?? 0) + 1;
    if (open > limits.maximumConnectionsPerClient) {
      socket.destroy();
      return;
    }
    perClient.set(address, open);
    socket.once('close', () => {
      const left = (perClient.get(address) ?? 1) - 1;
      if (left === 0) perClient.delete(address);
      else perClient.set(address, left);
    });
  });
}
