/** Fills every store once at start-up: app info first (other views depend on it), then the rest in parallel. */
import { useAppStore } from './stores/app'
import { useDatasetsStore } from './stores/datasets'
import { useJobsStore } from './stores/jobs'
import { useRunsStore } from './stores/runs'
import { useTexturesStore } from './stores/textures'

export async function hydrate(): Promise<void> {
  const app = useAppStore()
  useJobsStore().hydrate()
  await app.hydrate()
  await Promise.all([useDatasetsStore().hydrate(), useTexturesStore().hydrate(), useRunsStore().hydrate()])
}

export function dehydrate(): void {
  useRunsStore().dehydrate()
  useTexturesStore().dehydrate()
  useDatasetsStore().dehydrate()
  useJobsStore().dehydrate()
  useAppStore().dehydrate()
}
