/** Fills every store once at start-up: app info first (other views depend on it), then the rest in parallel. */
import { useAppStore } from './stores/app'
import { useDatasetsStore } from './stores/datasets'
import { useJobsStore } from './stores/jobs'
import { useTexturesStore } from './stores/textures'

export async function hydrate(): Promise<void> {
  const app = useAppStore()
  useJobsStore().hydrate()
  await app.hydrate()
  await Promise.all([useDatasetsStore().hydrate(), useTexturesStore().hydrate()])
}

export function dehydrate(): void {
  useTexturesStore().dehydrate()
  useDatasetsStore().dehydrate()
  useJobsStore().dehydrate()
  useAppStore().dehydrate()
}
