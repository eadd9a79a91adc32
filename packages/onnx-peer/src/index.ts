/**
 * `@llama-ops/onnx-peer` (internal): one-node ONNX models for RMSNorm, add+RMSNorm, RoPE,
 * GQA and Attention, built in memory, and runners for onnxruntime-node / onnxruntime-web.
 * Used by the conformance kit's cross-checks and by the benchmark app.
 *
 * @packageDocumentation
 */
export { encodeModel, IR_VERSION, type OnnxAttribute, type OnnxElementType, type OnnxGraph, type OnnxNode, type OnnxValueInfo } from './onnx.js';
export {
  attentionModel,
  groupQueryAttentionModel,
  rmsNormalizationModel,
  rotaryCaches,
  rotaryEmbeddingModel,
  skipSimplifiedLayerNormModel,
  type AttentionModelOptions,
  type GroupQueryAttentionModelOptions,
  type OnnxFloatType,
  type OnnxModel,
  type RmsNormalizationModelOptions,
  type RotaryEmbeddingModelOptions,
  type SkipSimplifiedLayerNormModelOptions,
} from './models.js';
export {
  f16,
  f32,
  fromHalfBits,
  gqaFeeds,
  i32,
  i64,
  toFloat32,
  toHalfBits,
  type GqaFeedsInput,
  type OrtFeed,
  type OrtFeedData,
  type OrtFeeds,
} from './feeds.js';
export { createOrtRunner, runOrt, type OrtRunner, type OrtRunnerOptions, type OrtRuntime, type PreparedFeeds } from './runner.js';
