// A createBackend() that returns something other than a Backend (kernels not wrapped by defineBackend).
export async function createBackend() {
  return { name: 'raw kernels' };
}
