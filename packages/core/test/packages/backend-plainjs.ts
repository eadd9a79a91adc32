// `@llama-ops/backend-plainjs`: a third-party backend published under the llama-ops name.
import { createFakeBackend } from '../fake-backend.js';

export const received: Array<Record<string, unknown> | undefined> = [];

export async function createBackend(options?: Record<string, unknown>) {
  received.push(options);
  return createFakeBackend('plainjs').backend;
}
