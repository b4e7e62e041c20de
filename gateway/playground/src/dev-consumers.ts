/** A seeded consumer the gateway offers in dev mode, with a ready token. */
export interface DevConsumer {
  id: string;
  name: string;
  department?: string;
  token: string;
}

export const DEV_CONSUMERS_PATH = '/playground/dev-consumers';

/**
 * The seeded consumers, when the gateway runs in dev mode; an empty list otherwise (404 or any
 * other answer), and the page then offers only the paste field.
 */
export async function loadDevConsumers(): Promise<DevConsumer[]> {
  try {
    const res = await fetch(DEV_CONSUMERS_PATH, { headers: { accept: 'application/json' }, credentials: 'same-origin' });
    if (!res.ok) return [];
    const body: unknown = await res.json();
    if (!Array.isArray(body)) return [];
    return body.filter(
      (c): c is DevConsumer => typeof c?.id === 'string' && typeof c?.token === 'string' && c.token.length > 0,
    ).map((c) => ({ id: c.id, name: typeof c.name === 'string' ? c.name : c.id, department: typeof c.department === 'string' ? c.department : undefined, token: c.token }));
  } catch {
    return [];
  }
}

/** The consumer the picker starts on: the investment approval system reads every shared field. */
export function defaultConsumer(consumers: DevConsumer[]): DevConsumer | undefined {
  return consumers.find((c) => c.id === 'drc-approval') ?? consumers[0];
}
