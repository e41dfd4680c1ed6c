/** The mask editor's model: brush, eraser, polygon, flood fill, clear, undo and redo. */
import { describe, expect, it } from 'vitest'
import { MaskDocument, UNDO_LIMIT, paintMaskRect } from '../../src/common/labels/mask-edit'

const sum = (a: Uint8Array): number => a.reduce((s, v) => s + v, 0)

describe('MaskDocument', () => {
  it('paints a stroke as one step and undoes and redoes it', () => {
    const doc = new MaskDocument(40, 30)
    doc.begin('brush')
    doc.line({ x: 5, y: 5 }, { x: 25, y: 5 }, 2, 1)
    doc.line({ x: 25, y: 5 }, { x: 25, y: 20 }, 2, 1)
    const rect = doc.end()!
    expect(rect).toEqual({ x: 3, y: 3, width: 25, height: 20 })
    const painted = sum(doc.pixels)
    expect(painted).toBeGreaterThan(100)
    expect(doc.undoDepth).toBe(1)
    doc.begin('eraser')
    doc.disc(15, 5, 3, 0)
    doc.end()
    expect(sum(doc.pixels)).toBeLessThan(painted)
    doc.undo()
    expect(sum(doc.pixels)).toBe(painted)
    doc.undo()
    expect(sum(doc.pixels)).toBe(0)
    expect(doc.canUndo).toBe(false)
    doc.redo()
    expect(sum(doc.pixels)).toBe(painted)
    expect(doc.nextRedo).toBe('eraser')
  })

  it('fills polygons and flood-fills closed outlines', () => {
    const doc = new MaskDocument(20, 20)
    doc.polygon([{ x: 2, y: 2 }, { x: 12, y: 2 }, { x: 12, y: 8 }, { x: 2, y: 8 }], 1)
    expect(sum(doc.pixels)).toBe(10 * 6) // pixel centres 2.5 .. 11.5 by 2.5 .. 7.5
    const ring = new MaskDocument(10, 10)
    for (let i = 2; i <= 7; i++) for (const [x, y] of [[i, 2], [i, 7], [2, i], [7, i]]) ring.pixels[y * 10 + x] = 1
    expect(sum(ring.pixels)).toBe(20)
    ring.floodFill(4, 4, 1)
    expect(sum(ring.pixels)).toBe(36) // the 4x4 inside filled
    ring.floodFill(0, 0, 1)
    expect(sum(ring.pixels)).toBe(100)
    ring.undo()
    ring.undo()
    expect(sum(ring.pixels)).toBe(20)
  })

  it(`keeps ${UNDO_LIMIT} steps (at least 50) and clears as one step`, () => {
    const doc = new MaskDocument(200, 10)
    for (let i = 0; i < 120; i++) {
      doc.begin('brush')
      doc.disc(i + 0.5, 5.5, 0.5, 1)
      doc.end()
    }
    expect(doc.undoDepth).toBe(UNDO_LIMIT)
    doc.clear()
    expect(sum(doc.pixels)).toBe(0)
    doc.undo()
    expect(sum(doc.pixels)).toBe(120)
    for (let i = 0; i < 60; i++) doc.undo()
    expect(sum(doc.pixels)).toBe(60)
    const rgba = new Uint8ClampedArray(2 * 1 * 4)
    paintMaskRect(doc, { x: 59, y: 5, width: 2, height: 1 }, rgba, [255, 0, 0])
    expect(Array.from(rgba)).toEqual([255, 0, 0, 255, 255, 0, 0, 0])
  })
})
