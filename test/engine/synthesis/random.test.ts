import { describe, expect, it } from 'vitest'
import { Random } from '../../../src/main/engine/random'

const draws = (r: Random, n: number) => Array.from({ length: n }, () => r.next())

describe('Random', () => {
  it('repeats a sequence for a seed, and differs across seeds and streams', () => {
    expect(draws(new Random(7), 50)).toEqual(draws(new Random(7), 50))
    expect(draws(new Random(7), 50)).not.toEqual(draws(new Random(8), 50))
    expect(draws(new Random(7, 1), 50)).not.toEqual(draws(new Random(7, 0), 50))
    expect(draws(new Random(2 ** 40), 5)).not.toEqual(draws(new Random(0), 5))
  })

  it('draws in [0, 1) with a plausible mean, and unbiased integers', () => {
    const r = new Random(1)
    const xs = draws(r, 20000)
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0)
    expect(Math.max(...xs)).toBeLessThan(1)
    expect(Math.abs(xs.reduce((a, b) => a + b, 0) / xs.length - 0.5)).toBeLessThan(0.01)
    const counts = new Array(6).fill(0)
    for (let i = 0; i < 12000; i++) counts[r.int(0, 6)]++
    for (const c of counts) expect(Math.abs(c - 2000)).toBeLessThan(200) // ~4.9 sigma
    expect(() => r.int(3, 3)).toThrow()
  })

  it('resumes from a saved state', () => {
    const r = new Random(3)
    draws(r, 10)
    const state = r.getState()
    const next = draws(r, 10)
    const other = new Random(99)
    other.setState(state)
    expect(draws(other, 10)).toEqual(next)
  })

  it('shuffles to a permutation', () => {
    const items = Array.from({ length: 20 }, (_, i) => i)
    const s = new Random(5).shuffled(items)
    expect(s).not.toEqual(items)
    expect([...s].sort((a, b) => a - b)).toEqual(items)
  })
})
