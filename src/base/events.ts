// A typed event emitter: listeners get the payload their event declares; a throwing listener does not stop the others.
export type Listener<T> = (payload: T) => void;

export class Emitter<Events extends Record<string, unknown>> {
  private readonly listeners = new Map<keyof Events, Set<Listener<never>>>();

  /** `onError` receives what a listener threw (default: printed to stderr); the other listeners still run. */
  constructor(private readonly onError: (err: unknown, event: string) => void = (err, event) => console.error(`semsync: a listener of "${event}" failed:`, err)) {}

  /** Listen to `event`; returns the function that stops listening. */
  on<K extends keyof Events>(event: K, fn: Listener<Events[K]>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(fn as Listener<never>);
    return () => void set.delete(fn as Listener<never>);
  }

  emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    for (const fn of [...(this.listeners.get(event) ?? [])]) {
      try {
        (fn as Listener<Events[K]>)(payload);
      } catch (err) {
        this.onError(err, String(event));
      }
    }
  }

  listenerCount(event: keyof Events): number {
    return this.listeners.get(event)?.size ?? 0;
  }
}
