/**
 * Seeded weight initialisers (PyTorch's definitions). Each parameter draws from its own stream,
 * seeded by (model seed, parameter name), so a model is the same for a seed whatever order its
 * parts are built in, and adding a layer does not change the others.
 */
import * as tf from '@tensorflow/tfjs'

/** 32-bit FNV-1a of the name mixed with the model seed; a valid tfjs random seed. */
export function parameterSeed(seed: number, name: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0)
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  h ^= Math.floor(seed / 2 ** 32)
  return h >>> 0
}

/**
 * nn.init.kaiming_normal_(w, mode='fan_out', nonlinearity='relu') for an HWIO conv filter
 * [kh, kw, cin, cout]: N(0, 2 / (cout * kh * kw)).
 */
export function kaimingNormalFanOut(shape: [number, number, number, number], seed: number): tf.Tensor4D {
  const [kh, kw, , cout] = shape
  return tf.randomNormal(shape, 0, Math.sqrt(2 / (cout * kh * kw)), 'float32', seed)
}

/**
 * PyTorch's default Conv2d init, kaiming_uniform_(a=sqrt(5)): U(-1/sqrt(fan_in), 1/sqrt(fan_in))
 * with fan_in = cin * kh * kw. The bias uses the same bound.
 */
export function torchDefaultUniform(shape: number[], fanIn: number, seed: number): tf.Tensor {
  const bound = 1 / Math.sqrt(fanIn)
  return tf.randomUniform(shape, -bound, bound, 'float32', seed)
}
