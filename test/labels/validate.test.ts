/** Argument checks of the labels channels. */
import { describe, expect, it } from 'vitest'
import { asFeedbackRequest, asLabelExportRequest, asMaskRestoreRequest, asMaskSaveRequest, asRelabelRequest } from '../../src/main/services/validate'

describe('labels validators', () => {
  it('accepts well-formed requests', () => {
    expect(asMaskSaveRequest({ imageId: 3, mask: { width: 2, height: 2, counts: [1, 2, 1] }, note: 'x' })).toEqual({
      imageId: 3,
      mask: { width: 2, height: 2, counts: [1, 2, 1] },
      note: 'x'
    })
    expect(asMaskSaveRequest({ imageId: 3, mask: null })).toEqual({ imageId: 3, mask: null, note: '' })
    expect(asMaskRestoreRequest({ imageId: 1, version: 0 })).toEqual({ imageId: 1, version: 0, note: '' })
    expect(asRelabelRequest({ imageId: 1, defectType: 'crack', split: 'test' })).toMatchObject({ defectType: 'crack', split: 'test' })
    expect(asFeedbackRequest({ imageId: 1, verdict: 'false_alarm' })).toMatchObject({ verdict: 'false_alarm', defectType: undefined })
    expect(asLabelExportRequest({ datasetId: 2, folder: '/tmp/x' })).toMatchObject({ datasetId: 2, folder: '/tmp/x', categoryId: undefined })
  })

  it('refuses malformed ones', () => {
    expect(() => asMaskSaveRequest({ imageId: 3, mask: { width: 0, height: 2, counts: [] } })).toThrow(/mask.width/)
    expect(() => asMaskSaveRequest({ imageId: 3, mask: { width: 2, height: 2, counts: [1, -1] } })).toThrow(/non-negative/)
    expect(() => asMaskSaveRequest({ imageId: 3, mask: { width: 1, height: 1, counts: [0, 1, 0, 0] } })).toThrow(/array of runs/)
    expect(() => asMaskRestoreRequest({ imageId: 1 })).toThrow(/version is required/)
    expect(() => asRelabelRequest({ imageId: 1, defectType: '' })).toThrow(/defectType/)
    expect(() => asRelabelRequest({ imageId: 1, defectType: 'x', split: 'val' })).toThrow(/split/)
    expect(() => asFeedbackRequest({ imageId: 1, verdict: 'skip' })).toThrow(/verdict/)
    expect(() => asLabelExportRequest({ datasetId: 2 })).toThrow(/folder is required/)
  })
})
