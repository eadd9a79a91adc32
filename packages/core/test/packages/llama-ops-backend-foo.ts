// `llama-ops-backend-foo` (and `@acme/llama-ops-backend-foo`): a backend published under its own name.
import { createFakeBackend } from '../fake-backend.js';

export const received: Array<Record<string, unknown> | undefined> = [];

export async function createBackend(options?: Record<string, unknown>) {
  received.push(options);
  return createFakeBackend('foo').backend;
}
