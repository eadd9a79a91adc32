// A createBackend() that rejects, as a GPU backend does on a machine without an adapter.
export async function createBackend(): Promise<never> {
  throw new Error('no adapter here');
}
