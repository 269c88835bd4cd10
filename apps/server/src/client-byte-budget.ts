/**
 * Bytes of request bodies each client may have in flight at once on an expensive route. Checked from the
 * `Content-Length` header before the body is read, so a client flooding the server with maximal requests is
 * refused (503) at the cost of a header, not of parsing and validating bodies it will never be served; the
 * budget comes back when the response is finished or the connection drops.
 */
export class ClientByteBudget {
  private readonly inFlight = new Map<string, number>();
  private readonly bytesPerClient: number;

  constructor(bytesPerClient: number) {
    this.bytesPerClient = bytesPerClient;
  }

  /** Takes `bytes` of `client`'s budget; false (nothing taken) when they do not fit. A first request always fits. */
  tryTake(client: string, bytes: number): boolean {
    const used = this.inFlight.get(client) ?? 0;
    if (used > 0 && used + bytes > this.bytesPerClient) return false;
    this.inFlight.set(client, used + bytes);
    return true;
  }

  giveBack(client: string, bytes: number): void {
    const left = (this.inFlight.get(client) ?? bytes) - bytes;
    if (left <= 0) this.inFlight.delete(client);
    else this.inFlight.set(client, left);
  }
}
