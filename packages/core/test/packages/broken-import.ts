// A package that is installed but cannot be imported: one of its own imports is missing.
// @ts-expect-error the point: this dependency does not exist
export { createBackend } from 'llama-ops-test-missing-dependency';
