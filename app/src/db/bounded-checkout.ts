import type pg from 'pg';

/**
 * A checkout bounded by `ms` (pg-pool's own timeout is per pool and starts when the checkout does,
 * not per request). A connection that arrives after the bound goes straight back to the pool.
 */
export async function checkoutWithin(
  connecting: Promise<pg.PoolClient>,
  ms: number,
  expired: () => Error,
): Promise<pg.PoolClient> {
  let timer: NodeJS.Timeout | undefined;
  const bound = { expired: false };
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => {
        bound.expired = true;
        reject(expired());
      },
      Math.max(0, ms),
    );
  });
  try {
    return await Promise.race([connecting, deadline]);
  } catch (err) {
    if (bound.expired)
      connecting.then(
        (client) => {
          client.release();
        },
        () => undefined,
      );
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
