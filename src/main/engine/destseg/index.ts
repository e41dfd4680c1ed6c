/** DeSTSeg networks (NHWC, TensorFlow.js): TeacherNet, StudentNet, SegmentationNet and their weights. */
export { DeSTSeg, type DeSTSegRun } from './destseg-model'
export { TeacherNet, type TeacherFeatures } from './teacher'
export { StudentNet, DECODER_STAGES, type StudentFeatures, type StudentOptions } from './student'
export {
  SegmentationNet,
  segmentationInput,
  l2Normalize,
  ASPP_RATES,
  SEGMENTATION_IN_CHANNELS,
  type SegmentationOptions
} from './segmentation'
export {
  ModelWeights,
  loadTeacherWeights,
  loadFoldedNpy,
  teacherWeightsFromStateDict,
  randomTeacherWeights,
  foldBatchNorm,
  teacherConvSpecs,
  BN_EPS,
  TEACHER_WEIGHTS_DIR,
  type TeacherSource,
  type BatchNormParams
} from './weights'
