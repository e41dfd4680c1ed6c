/** Hash history, so the same build works from file:// (Electron) and from the loopback server. */
import { createRouter, createWebHashHistory, type RouteRecordRaw } from 'vue-router'
import DatasetPage from './pages/DatasetPage.vue'
import DatasetsPage from './pages/DatasetsPage.vue'
import ImageViewerPage from './pages/ImageViewerPage.vue'
import InspectPage from './pages/InspectPage.vue'
import ResultsPage from './pages/ResultsPage.vue'
import ReviewPage from './pages/ReviewPage.vue'
import ReportsPage from './pages/ReportsPage.vue'
import RunsPage from './pages/RunsPage.vue'
import TexturesPage from './pages/TexturesPage.vue'
import ThresholdsPage from './pages/ThresholdsPage.vue'

/** A positive integer from a route param or query value; null when absent or not one. */
function optionalNumber(value: unknown): number | null {
  const text = Array.isArray(value) ? value[0] : value
  const n = typeof text === 'string' && /^\d+$/.test(text) ? Number(text) : NaN
  return Number.isSafeInteger(n) && n > 0 ? n : null
}

const routes: RouteRecordRaw[] = [
  { path: '/', redirect: '/datasets' },
  { path: '/datasets', name: 'datasets', component: DatasetsPage },
  {
    path: '/datasets/:id(\\d+)',
    name: 'dataset',
    component: DatasetPage,
    props: (route) => ({ datasetId: Number(route.params.id) })
  },
  { path: '/textures', name: 'textures', component: TexturesPage },
  { path: '/runs', name: 'runs', component: RunsPage },
  {
    path: '/image/:id(\\d+)',
    name: 'image',
    component: ImageViewerPage,
    props: (route) => ({ imageId: Number(route.params.id) })
  },
  {
    path: '/inspect/:categoryId(\\d+)?',
    name: 'inspect',
    component: InspectPage,
    props: (route) => ({ categoryId: optionalNumber(route.params.categoryId) })
  },
  {
    path: '/results/:categoryId(\\d+)?',
    name: 'results',
    component: ResultsPage,
    props: (route) => ({ categoryId: route.params.categoryId ? Number(route.params.categoryId) : null })
  },
  {
    path: '/thresholds/:categoryId(\\d+)?',
    name: 'thresholds',
    component: ThresholdsPage,
    props: (route) => ({ categoryId: optionalNumber(route.params.categoryId), evaluationId: optionalNumber(route.query.evaluation) })
  },
  {
    path: '/review/:categoryId(\\d+)?',
    name: 'review',
    component: ReviewPage,
    props: (route) => ({
      categoryId: optionalNumber(route.params.categoryId),
      evaluationId: optionalNumber(route.query.evaluation),
      queue: route.query.queue === 'false_positive' ? 'false_positive' : 'false_negative'
    })
  },
  {
    path: '/reports',
    name: 'reports',
    component: ReportsPage,
    props: (route) => ({ runId: optionalNumber(route.query.run), categoryId: optionalNumber(route.query.category) })
  },
  { path: '/:pathMatch(.*)*', redirect: '/datasets' }
]

export const router = createRouter({ history: createWebHashHistory(), routes })
