/**
 * Inference with an exported DeSTSeg (onnxruntime-node): InferenceClient serves a model from a
 * worker thread (the app, the CLI); InferenceSessionRunner is the same work in the calling thread.
 * Per image: the S/4 map, the 256x256 map, optionally the original-size map, and the top-T score.
 */
export { InferenceClient, type InferenceClientOptions, type InferOptions } from './client'
export { InferenceSessionRunner, type InferHandlers, type RunnerOptions } from './session-runner'
export { resolveModelFile, RUN_MODEL_FILE, type ResolvedModel } from './model-file'
export { describeFallbacks } from './providers'
export { topTMean } from './score'
export * from './types'
