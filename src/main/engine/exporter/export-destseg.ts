/**
 * Writes a trained DeSTSeg (teacher + student + segmentation net) as one ONNX graph, NCHW:
 *   image [N, 3, H, W] float32, ImageNet-normalised  ->  anomaly_map [N, 1, H/4, W/4] (sigmoid).
 * N, H and W are symbolic: every resize takes its target size from a Shape op, so one model serves
 * any batch and any input size (H, W multiples of 32, like the TF.js nets).
 * The graph follows the TF.js eval-mode forward (DeSTSeg.predict) op for op:
 *  - convs carry eval-mode BatchNorm folded into weight and bias (the teacher's is folded already);
 *  - bilinear resizes: Resize linear with half_pixel coordinates (= tf.image.resizeBilinear with
 *    halfPixelCenters = PyTorch align_corners=False; all three clamp the source at the borders);
 *  - L2 normalisation over channels: x / (ReduceL2(x) + 1e-12), as segmentation.ts;
 *  - the ASPP pooled branch: GlobalAveragePool -> conv+BN+ReLU -> Expand back to h x w (bilinear
 *    from 1x1 is a broadcast, and Expand is exactly that);
 *  - dilated convs: Conv with dilations.
 */
import type { DeSTSeg } from '../destseg/destseg-model'
import { blockSpecs, resnet18Stages, stemSpec, type StageSpec } from '../destseg/resnet18'
import type { ConvSpec } from '../nn/layers'
import { convBnLookup, teacherLookup, type ConvWeightLookup } from './folded-weights'
import { attr, GraphBuilder } from './graph-builder'
import { DataType, type GraphProto } from './onnx-proto'

/** The ONNX operator set the graph is written for (onnxruntime 1.30 runs it on its CPU provider). */
export const ONNX_OPSET = 17
/** The graph's input and output names. */
export const ONNX_INPUT = 'image'
export const ONNX_OUTPUT = 'anomaly_map'
/** L2-normalisation eps (segmentation.ts l2Normalize). */
const L2_EPS = 1e-12

/** One network's weights and the prefix of its value names ('teacher.', 'student.', 'segmentation.'). */
interface NetWeights {
  prefix: string
  lookup: ConvWeightLookup
}

/** Emits DeSTSeg ops into a GraphBuilder; every method returns the name of its output value. */
class DeSTSegGraphWriter {
  constructor(private readonly g: GraphBuilder) {}

  /** Conv (+ folded BN), then ReLU if asked. x [N, Cin, H, W] -> [N, Cout, H', W'] */
  conv(x: string, spec: ConvSpec, net: NetWeights, relu = false): string {
    const { weight, bias } = net.lookup(spec)
    const { kernel: k, padding: p, stride: s } = spec
    const d = spec.dilation ?? 1
    const name = `${net.prefix}${spec.name}`
    const w = this.g.float32(`${name}.weight`, [spec.outChannels, spec.inChannels, k, k], weight)
    const b = this.g.float32(`${name}.bias`, [spec.outChannels], bias)
    const y = this.g.node(
      'Conv',
      [x, w, b],
      { kernel_shape: attr.ints([k, k]), strides: attr.ints([s, s]), pads: attr.ints([p, p, p, p]), dilations: attr.ints([d, d]) },
      name
    )
    return relu ? this.g.node('Relu', [y], {}, `${name}.relu`) : y
  }

  /** A stage of BasicBlocks, each relu(conv2(relu(conv1(x))) + shortcut(x)). [N, Cin, H, W] -> [N, Cout, H/stride, W/stride] */
  stage(x: string, stage: StageSpec, net: NetWeights): string {
    return blockSpecs(stage).reduce((h, block) => {
      const out = this.conv(this.conv(h, block.conv1, net, true), block.conv2, net)
      const identity = block.downsample ? this.conv(h, block.downsample, net) : h
      return this.g.node('Relu', [this.g.node('Add', [out, identity], {}, `${net.prefix}${block.name}.add`)], {}, `${net.prefix}${block.name}`)
    }, x)
  }

  /** ResNet trunk: stem conv+ReLU, max-pool 3x3/2 pad 1, then the stages; returns each stage's output. */
  trunk(x: string, stem: ConvSpec, stages: readonly StageSpec[], net: NetWeights): string[] {
    const pooled = this.g.node(
      'MaxPool',
      [this.conv(x, stem, net, true)],
      { kernel_shape: attr.ints([3, 3]), strides: attr.ints([2, 2]), pads: attr.ints([1, 1, 1, 1]) },
      `${net.prefix}maxpool`
    ) // [N, 64, H/4, W/4]
    const outs: string[] = []
    let h = pooled
    for (const stage of stages) {
      h = this.stage(h, stage, net)
      outs.push(h)
    }
    return outs
  }

  /** Bilinear (half-pixel) resize of x [N, C, h, w] to like's spatial size -> [N, C, H, W]. */
  resizeLike(x: string, like: string, hint: string): string {
    const nc = this.g.node('Shape', [x], { start: attr.int(0), end: attr.int(2) }, `${hint}.shape_nc`) // [2] int64
    const hw = this.g.node('Shape', [like], { start: attr.int(2), end: attr.int(4) }, `${hint}.shape_hw`) // [2] int64
    const sizes = this.g.node('Concat', [nc, hw], { axis: attr.int(0) }, `${hint}.sizes`) // [4] int64
    return this.g.node(
      'Resize',
      [x, '', '', sizes],
      { mode: attr.string('linear'), coordinate_transformation_mode: attr.string('half_pixel') },
      hint
    )
  }

  /** x / (sqrt(sum_c x^2) + 1e-12). [N, C, H, W] -> [N, C, H, W] */
  l2Normalize(x: string, hint: string): string {
    const norm = this.g.node('ReduceL2', [x], { axes: attr.ints([1]), keepdims: attr.int(1) }, `${hint}.l2`) // [N, 1, H, W]
    const eps = this.g.float32(`${hint}.eps`, [], Float32Array.of(L2_EPS))
    return this.g.node('Div', [x, this.g.node('Add', [norm, eps], {}, `${hint}.l2_eps`)], {}, `${hint}.normalized`)
  }
}

/** The whole graph for a model: image [N, 3, H, W] -> anomaly_map [N, 1, H/4, W/4]. */
export function destsegGraph(model: DeSTSeg): GraphProto {
  const g = new GraphBuilder()
  const w = new DeSTSegGraphWriter(g)
  const image = g.input(ONNX_INPUT, DataType.FLOAT, ['N', 3, 'H', 'W'])
  const { student, segmentation: seg } = model
  const teacherNet: NetWeights = { prefix: 'teacher.', lookup: teacherLookup(model.teacher) }
  const studentUnits = [...student.encoder.units(), ...student.decoder.flatMap((s) => s.units())]
  const studentNet: NetWeights = { prefix: 'student.', lookup: convBnLookup(studentUnits, 'student') }
  const headUnits = [seg.asppPool, ...seg.asppAtrous, seg.asppFusion, seg.headConv, seg.classifier]
  const segNet: NetWeights = { prefix: 'segmentation.', lookup: convBnLookup([...seg.res.units(), ...headUnits], 'segmentation') }

  // Teacher (TeacherNet: ResNet18 up to layer3): T1 64@H/4, T2 128@H/8, T3 256@H/16.
  const [t1, t2, t3] = w.trunk(image, stemSpec(), resnet18Stages('', 3), teacherNet)

  // Student (StudentNet.apply): encoder x1..x4, decoder D4 on x4, then resize + D3, D2, D1.
  const [x1, x2, x3, x4] = w.trunk(image, student.encoder.stem.spec, student.encoder.stages.map((s) => s.spec), studentNet)
  const [d4, d3, d2, d1] = student.decoder.map((s) => s.spec)
  const b4 = w.stage(x4, d4, studentNet) // [N, 512, H/32, W/32]
  const b3 = w.stage(w.resizeLike(b4, x3, 'student.up3'), d3, studentNet) // [N, 256, H/16, W/16]
  const b2 = w.stage(w.resizeLike(b3, x2, 'student.up2'), d2, studentNet) // [N, 128, H/8, W/8]
  const b1 = w.stage(w.resizeLike(b2, x1, 'student.up1'), d1, studentNet) // [N, 64, H/4, W/4]

  // Segmentation input (segmentationInput): concat_k upsample(-norm(Tk) * norm(Sk)) at T1's size.
  const parts = [
    [t1, b1],
    [t2, b2],
    [t3, b3]
  ].map(([tk, sk], i) => {
    const hint = `segmentation.input${i + 1}`
    const agreement = g.node('Neg', [g.node('Mul', [w.l2Normalize(tk, `${hint}.t`), w.l2Normalize(sk, `${hint}.s`)], {}, `${hint}.mul`)], {}, `${hint}.neg`)
    return i === 0 ? agreement : w.resizeLike(agreement, t1, `${hint}.up`)
  })
  const x = g.node('Concat', parts, { axis: attr.int(1) }, 'segmentation.input') // [N, 448, H/4, W/4]

  // Segmentation net (SegmentationNet.apply).
  const r = w.stage(x, seg.res.spec, segNet) // [N, 256, h, w]
  const pooled = g.node('GlobalAveragePool', [r], {}, 'segmentation.aspp.pool') // [N, 256, 1, 1]
  const pooledFeature = w.conv(pooled, seg.asppPool.spec, segNet, true) // [N, 256, 1, 1]
  const branches = [
    g.node('Expand', [pooledFeature, g.node('Shape', [r], {}, 'segmentation.aspp.shape')], {}, 'segmentation.aspp.pool_expand'), // [N, 256, h, w]
    ...seg.asppAtrous.map((b) => w.conv(r, b.spec, segNet, true)) // 3 x [N, 256, h, w]
  ]
  const aspp = g.node('Concat', branches, { axis: attr.int(1) }, 'segmentation.aspp.concat') // [N, 1024, h, w]
  const fused = w.conv(aspp, seg.asppFusion.spec, segNet, true) // [N, 256, h, w]
  const h = w.conv(fused, seg.headConv.spec, segNet, true) // [N, 256, h, w]
  const logits = w.conv(h, seg.classifier.spec, segNet) // [N, 1, h, w]
  const probability = g.node('Sigmoid', [logits], {}, ONNX_OUTPUT) // [N, 1, h, w]
  g.output(probability, ONNX_OUTPUT, DataType.FLOAT, ['N', 1, 'map_height', 'map_width'])
  return g.build(
    'destseg',
    'DeSTSeg (teacher + student + segmentation net): ImageNet-normalised image [N, 3, H, W] -> anomaly probability [N, 1, H/4, W/4]'
  )
}
