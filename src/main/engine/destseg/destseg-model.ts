/**
 * DeSTSeg: the trained model as one object, teacher T + student S + segmentation net, for
 * inference and export. predict() is the eval-mode forward of training phase 2 (phases.ts):
 * T(x), S(x) with BN running stats, X = segmentationInput(T, S), Y = seg(X).
 * fromRun() loads a finished training run folder: the teacher from config.teacher, the student
 * and segmentation net from the final student.bin/.json and seg.bin/.json (trainer.ts).
 */
import { existsSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { UserError } from '../../../common/ipc/errors'
import type { Module, NamedTensor } from '../nn/layers'
import { readRunConfig, RUN_FILES } from '../trainer/run-folder'
import { assignEntries, readTensorFile } from '../trainer/tensor-file'
import type { RunConfig } from '../trainer/types'
import { SegmentationNet, segmentationInput } from './segmentation'
import { StudentNet } from './student'
import { TeacherNet } from './teacher'

/** Where a model loaded by {@link DeSTSeg.fromRun} came from. */
export interface DeSTSegRun {
  /** the run folder (absolute) */
  dir: string
  /** its config.json */
  config: RunConfig
}

export class DeSTSeg implements Module {
  /** Takes ownership of the three nets (disposed with the model). */
  constructor(
    readonly teacher: TeacherNet,
    readonly student: StudentNet,
    readonly segmentation: SegmentationNet,
    /** the training run, when loaded from one */
    readonly run?: DeSTSegRun
  ) {}

  /** Loads a finished training run; a UserError names what is missing. */
  static fromRun(runDir: string): DeSTSeg {
    const dir = resolve(runDir)
    const config = readRunConfig(dir)
    const weightFile = (base: string): string => {
      const path = join(dir, `${base}.json`)
      if (!existsSync(path)) {
        throw new UserError(`the run in ${dir} has no final weights (${basename(path)}); it has not finished training`, 'NOT_FINISHED')
      }
      return path
    }
    const studentFile = weightFile(RUN_FILES.student)
    const segFile = weightFile(RUN_FILES.segmentation)
    const nets: Module[] = []
    try {
      const teacher = TeacherNet.load(config.teacher)
      nets.push(teacher)
      const student = new StudentNet({ seed: config.seed })
      nets.push(student)
      const segmentation = new SegmentationNet({ seed: config.seed })
      nets.push(segmentation)
      assignEntries([...student.parameters(), ...student.buffers()], readTensorFile(studentFile), '', studentFile)
      assignEntries([...segmentation.parameters(), ...segmentation.buffers()], readTensorFile(segFile), '', segFile)
      return new DeSTSeg(teacher, student, segmentation, { dir, config })
    } catch (err) {
      for (const n of nets) n.dispose()
      throw err
    }
  }

  /** The side the model was trained at (input H = W), when loaded from a run. */
  get inputSize(): number | undefined {
    return this.run?.config.size
  }

  /**
   * Eval mode. x [B, H, W, 3] ImageNet-normalised (H, W multiples of 32) -> anomaly probability
   * [B, H/4, W/4, 1] (sigmoid output of the segmentation net).
   */
  predict(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const features = segmentationInput(this.teacher.apply(x), this.student.apply(x, false)) // [B, H/4, W/4, 448]
      return this.segmentation.apply(features, false) // [B, H/4, W/4, 1]
    })
  }

  /** Teacher, student and segmentation-net parameters, in that order (names as each net gives them). */
  parameters(): NamedTensor[] {
    return [...this.teacher.parameters(), ...this.student.parameters(), ...this.segmentation.parameters()]
  }

  buffers(): NamedTensor[] {
    return [...this.student.buffers(), ...this.segmentation.buffers()]
  }

  dispose(): void {
    this.teacher.dispose()
    this.student.dispose()
    this.segmentation.dispose()
  }
}
