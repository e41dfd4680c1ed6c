/** Shared setup of the trainer tests: the tiny preset on the shared magnetic-tile category. */
import { requireShared } from '../../../src/main/config/paths'
import { makeRunConfig } from '../../../src/main/engine/trainer/presets'
import type { RunConfig } from '../../../src/main/engine/trainer/types'

/** The tiny preset on ../shared/datasets/magnetic-tile with the shared DTD textures (fails loudly without them). */
export function tinyConfig(overrides: Partial<RunConfig> = {}): RunConfig {
  return makeRunConfig({
    preset: 'tiny',
    dataset: requireShared('datasets/magnetic-tile'),
    textures: requireShared('assets/textures/dtd'),
    ...overrides
  })
}

export const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length
