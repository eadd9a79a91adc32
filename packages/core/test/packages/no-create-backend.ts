// A package that is installed but exports no createBackend().
export const kernels = {};
