/** Fills every store once at start-up: app info first (other views depend on it), then the rest in parallel. */
import { useAppStore } from './stores/app'
import { useDatasetsStore } from './stores/datasets'
import { useInspectionsStore } from './stores/inspections'
import { useJobsStore } from './stores/jobs'
import { useResultsStore } from './stores/results'
import { useRunsStore } from './stores/runs'
import { useTexturesStore } from './stores/textures'

export async function hydrate(): Promise<void> {
  const app = useAppStore()
  useJobsStore().hydrate()
  await app.hydrate()
  await Promise.all([useDatasetsStore().hydrate(), useTexturesStore().hydrate(), useRunsStore().hydrate(), useResultsStore().hydrate()])
}

export function dehydrate(): void {
  useInspectionsStore().dehydrate()
  useResultsStore().dehydrate()
  useRunsStore().dehydrate()
  useTexturesStore().dehydrate()
  useDatasetsStore().dehydrate()
  useJobsStore().dehydrate()
  useAppStore().dehydrate()
}
