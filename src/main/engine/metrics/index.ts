/** Anomaly-detection metrics of the DeSTSeg evaluation protocol (METHOD.md, "Evaluation protocol"). */
export { evaluateCategory, DEFAULT_K, DEFAULT_CURVE_POINTS } from './evaluate-category'
export { groundTruthFromMask, predictionTo256, imageScore, imageLabel, DEFAULT_TOP_T } from './protocol'
export { resizeAntialiased } from './antialias-resize'
export { rocAuc } from './roc'
export { connectedComponents8, instanceScores } from './instances'
export { instanceAveragePrecision, type IapResult } from './iap'
export { AUPRO_FPR_LIMIT } from './aupro'
export * from './types'
