/**
 * A finished-looking training run folder, made in seconds: config.json plus student and seg
 * weight files of freshly initialised nets whose BatchNorm parameters and running statistics are
 * perturbed (seeded), so folding BN into the convs is exercised with non-trivial values. The
 * classifier's weights are scaled up so the sigmoid map spreads over (0, 1) instead of sitting
 * at 0.5, which a parity check could not tell from a broken graph.
 */
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { DeSTSeg } from '../../../src/main/engine/destseg/destseg-model'
import { SegmentationNet } from '../../../src/main/engine/destseg/segmentation'
import { StudentNet } from '../../../src/main/engine/destseg/student'
import { TeacherNet } from '../../../src/main/engine/destseg/teacher'
import type { NamedTensor } from '../../../src/main/engine/nn/layers'
import { writeJsonSynced } from '../../../src/main/engine/trainer/checkpoint'
import { makeRunConfig } from '../../../src/main/engine/trainer/presets'
import { RUN_FILES } from '../../../src/main/engine/trainer/run-folder'
import { tensorEntries, writeTensorFile } from '../../../src/main/engine/trainer/tensor-file'
import type { RunConfig } from '../../../src/main/engine/trainer/types'

/** BN weight U(0.5, 1.5), bias N(0, 0.1), running mean N(0, 0.1), running var U(0.5, 2), per channel. */
function perturbBatchNorm(tensors: readonly NamedTensor[], seed: number): void {
  tensors.forEach(({ name, tensor }, i) => {
    if (!(tensor instanceof tf.Variable) || tensor.rank !== 1) return
    const s = seed * 1000 + i
    tf.tidy(() => {
      const shape = tensor.shape
      if (name.endsWith('running_var')) tensor.assign(tf.randomUniform(shape, 0.5, 2, 'float32', s))
      else if (name.endsWith('running_mean')) tensor.assign(tf.randomNormal(shape, 0, 0.1, 'float32', s))
      else if (/(bn\d|norm|downsample\.1|head\.2)\.weight$/.test(name)) tensor.assign(tf.randomUniform(shape, 0.5, 1.5, 'float32', s))
      else if (/(bn\d|norm|downsample\.1|head\.2)\.bias$/.test(name)) tensor.assign(tf.randomNormal(shape, 0, 0.1, 'float32', s))
    })
  })
}

/** Classifier (head.4) weight scale, see the file comment. */
const CLASSIFIER_GAIN = 60

/**
 * Writes a run into `dir` (64 px, the shared ImageNet teacher unless overridden) and returns the
 * model it holds, built from the same nets (the caller disposes it).
 */
export function makeRunFolder(dir: string, overrides: Partial<RunConfig> = {}): { config: RunConfig; model: DeSTSeg } {
  const config = makeRunConfig({ preset: 'tiny', dataset: '/nonexistent/dataset', textures: '/nonexistent/textures', size: 64, seed: 3, ...overrides })
  const student = new StudentNet({ seed: config.seed })
  const seg = new SegmentationNet({ seed: config.seed })
  try {
    const studentTensors = [...student.parameters(), ...student.buffers()]
    const segTensors = [...seg.parameters(), ...seg.buffers()]
    perturbBatchNorm(studentTensors, 1)
    perturbBatchNorm(segTensors, 2)
    const w = seg.classifier.conv.weight
    tf.tidy(() => w.assign(tf.mul(w, CLASSIFIER_GAIN)))
    writeJsonSynced(join(dir, RUN_FILES.config), config)
    writeTensorFile(join(dir, RUN_FILES.student), tensorEntries(studentTensors))
    writeTensorFile(join(dir, RUN_FILES.segmentation), tensorEntries(segTensors))
    return { config, model: new DeSTSeg(TeacherNet.load(config.teacher), student, seg) }
  } catch (err) {
    student.dispose()
    seg.dispose()
    throw err
  }
}
