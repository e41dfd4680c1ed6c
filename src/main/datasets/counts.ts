/** Per-category counts, from the database or from an import plan, computed the same way. */
import type { CategoryCounts, Split } from '../../common/types/datasets'

export interface GroupCount {
  category: string
  split: Split
  defect_type: string
  images: number
  masks: number
}

/** Counts for each named category (in the given order), summing the groups that belong to it. */
export function categoryCounts(categories: string[], groups: GroupCount[]): CategoryCounts[] {
  return categories.map((name) => {
    const counts: CategoryCounts = { name, train_good: 0, test_good: 0, test_anomalous: 0, masks: 0, defect_types: [] }
    for (const g of groups.filter((g) => g.category === name)) {
      counts.masks += g.masks
      if (g.defect_type === 'good') {
        if (g.split === 'train') counts.train_good += g.images
        else counts.test_good += g.images
      } else if (g.split === 'test') {
        counts.test_anomalous += g.images
        counts.defect_types.push(g.defect_type)
      }
    }
    counts.defect_types = [...new Set(counts.defect_types)].sort()
    return counts
  })
}

/** { "train/good": 400, "test/blowhole": 115, ... } for one category. */
export function bySplitDefect(category: string, groups: GroupCount[]): Record<string, number> {
  const result: Record<string, number> = {}
  for (const g of groups) if (g.category === category) result[`${g.split}/${g.defect_type}`] = g.images
  return result
}

/** Groups planned images the way the database query does. */
export function groupImages(
  images: { category: string; split: Split; defect_type: string; has_mask: boolean }[]
): GroupCount[] {
  const groups = new Map<string, GroupCount>()
  for (const { category, split, defect_type, has_mask } of images) {
    const key = JSON.stringify([category, split, defect_type])
    const g = groups.get(key) ?? { category, split, defect_type, images: 0, masks: 0 }
    g.images++
    if (has_mask) g.masks++
    groups.set(key, g)
  }
  return [...groups.values()]
}

/** "1 image", "2 images"; `words` for irregular plurals. */
export const plural = (n: number, word: string, words = `${word}s`): string => `${n} ${n === 1 ? word : words}`
