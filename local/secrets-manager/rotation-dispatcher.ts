/**
 * The stand-in for the rotation Lambda: RotateSecret hands the new version's token to a registered
 * handler, which runs after the RotateSecret response was sent and is never awaited by it.
 */

export interface RotationRequest {
  /** SecretId as the RotateSecret caller gave it (name or ARN). */
  secretId: string;
  arn: string;
  /** ClientRequestToken of the rotation: the id of the AWSPENDING version reserved for it. */
  token: string;
}

export type RotationHandler = (request: RotationRequest) => Promise<void>;

export type RotationOutcome = { ok: true } | { ok: false; errorType: string };

export class RotationDispatcher {
  private handler: RotationHandler | undefined;
  private readonly onSettled: (
    request: RotationRequest,
    outcome: RotationOutcome,
    durationMs: number,
  ) => void;

  constructor(onSettled: (request: RotationRequest, outcome: RotationOutcome, durationMs: number) => void) {
    this.onSettled = onSettled;
  }

  set(handler: RotationHandler | undefined): void {
    this.handler = handler;
  }

  get registered(): boolean {
    return this.handler !== undefined;
  }

  /** Runs the handler registered now on the next turn of the event loop, after the response is written. */
  start(request: RotationRequest): void {
    const handler = this.handler;
    if (!handler) return;
    setImmediate(() => {
      const started = Date.now();
      Promise.resolve()
        .then(() => handler(request))
        .then(
          () => {
            this.onSettled(request, { ok: true }, Date.now() - started);
          },
          (error: unknown) => {
            const errorType = error instanceof Error ? error.name : 'Error';
            this.onSettled(request, { ok: false, errorType }, Date.now() - started);
          },
        );
    });
  }
}
