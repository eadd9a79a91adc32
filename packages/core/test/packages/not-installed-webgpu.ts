// Stands in for a built-in backend package that is not installed. The workspace root installs
// the three built-ins (so that createBackend('cpu') resolves in the repo), so the registry's
// "not installed" path is exercised by failing the import as Node fails a missing package.
const error = Object.assign(new Error("Cannot find package '@llama-ops/backend-webgpu' imported from /app/node_modules/@llama-ops/core/dist/index.js"), {
  code: 'ERR_MODULE_NOT_FOUND',
});
throw error;
