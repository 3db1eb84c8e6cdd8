// Does nothing, quickly: the skeleton measures the engine, not the work.
export async function noop(): Promise<void> {}
