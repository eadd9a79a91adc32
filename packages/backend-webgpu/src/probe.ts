export { flashAttentionWgsl } from './kernels/flash-attention.js';
export { flashDecodingWgsl } from './kernels/flash-decoding.js';
