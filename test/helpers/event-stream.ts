/**
 * A server-sent events client, as a browser tab holds one: the stream stays open until the server
 * ends it.
 */
export interface EventStream {
  /** Resolves once an event of this name has arrived (past or future). */
  waitFor(event: string): Promise<void>;
  /** Resolves with everything received, once the server has ended the stream. */
  ended: Promise<string>;
}

export async function openEventStream(url: string): Promise<EventStream> {
  const response = await fetch(url, { headers: { accept: 'text/event-stream' } });
  if (!response.ok || response.body === null) throw new Error(`${url}: HTTP ${response.status}`);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  const waiters: (() => void)[] = [];
  const ended = (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += value;
      for (const wake of waiters.splice(0)) wake();
    }
    for (const wake of waiters.splice(0)) wake();
    return text;
  })();
  let finished = false;
  void ended.finally(() => (finished = true));
  return {
    async waitFor(event) {
      while (!text.includes(`event: ${event}\n`)) {
        if (finished) throw new Error(`${url} ended without a "${event}" event`);
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
    ended,
  };
}
