/** A webhook handler's failure, logged as what failed rather than as the whole delivery. */
/**
 * A handler's failure as the webhook library sees it. The library attaches the
 * whole delivery to the error it catches (`error.event`), and Probot's logger
 * prints every enumerable property: a payload of megabytes per failed delivery.
 * Here the slot exists beforehand, not enumerable, so the log says what failed
 * (delivery id, event, the cause's message) and not the payload.
 */
export class WebhookHandlerError extends Error {
  declare event: unknown;
  readonly delivery: string;
  readonly eventName: string;

  constructor(delivery: string, eventName: string, cause: unknown) {
    super(`${eventName} delivery ${delivery} failed: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.name = "WebhookHandlerError";
    this.delivery = delivery;
    this.eventName = eventName;
    Object.defineProperty(this, "event", { value: undefined, writable: true, enumerable: false });
    if (cause instanceof Error && cause.stack) this.stack = `${this.name}: ${this.message}\n${cause.stack}`;
  }
}

/** Runs a handler; its failure is rethrown as a WebhookHandlerError (the delivery answers 500 either way). */
export function guarded<C extends { readonly id: string; readonly name: string }>(
  handler: (context: C) => Promise<void>,
): (context: C) => Promise<void> {
  return async (context) => {
    try {
      await handler(context);
    } catch (error) {
      throw new WebhookHandlerError(context.id, context.name, error);
    }
  };
}
