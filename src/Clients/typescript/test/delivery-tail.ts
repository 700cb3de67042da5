// A party's delivery stream, read in the background into a queue, so a test can wait for the next delivery
// of a kind with a timeout.

import type { Delivery, KetenhubClient } from "../src/index.js";

type PayloadCase = NonNullable<Delivery["payload"]["case"]>;

export class DeliveryTail {
  private readonly received: Delivery[] = [];
  private readonly waiters: Array<() => void> = [];
  private readonly abort = new AbortController();
  private failure?: unknown;
  private ended = false;

  constructor(client: KetenhubClient, afterSequence = 0n) {
    void this.pump(client, afterSequence);
  }

  private async pump(client: KetenhubClient, afterSequence: bigint): Promise<void> {
    try {
      for await (const response of client.deliveries.streamDeliveries({ afterSequence }, { signal: this.abort.signal })) {
        if (response.delivery) {
          this.received.push(response.delivery);
          this.wake();
        }
      }
    } catch (error) {
      if (!this.abort.signal.aborted) this.failure = error;
    } finally {
      this.ended = true;
      this.wake();
    }
  }

  private wake(): void {
    this.waiters.splice(0).forEach((w) => w());
  }

  /** The next delivery whose payload is of `kind` (others are skipped), or an error after `timeoutMs`. */
  async next(kind: PayloadCase, timeoutMs = 10_000): Promise<Delivery> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.received.findIndex((d) => d.payload.case === kind);
      if (index >= 0) {
        const [delivery] = this.received.splice(0, index + 1).slice(-1);
        return delivery!;
      }
      if (this.failure) throw this.failure;
      if (this.ended) throw new Error(`The delivery stream ended before a ${kind} delivery arrived.`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`No ${kind} delivery arrived within ${timeoutMs} ms.`);
      await new Promise<void>((resolveWait) => {
        const timer = setTimeout(resolveWait, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolveWait();
        });
      });
    }
  }

  close(): void {
    this.abort.abort();
  }
}
