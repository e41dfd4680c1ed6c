/** Hash history, so the same build works from file:// (Electron) and from the loopback server. */
import { createRouter, createWebHashHistory, type RouteRecordRaw } from 'vue-router'
import DatasetPage from './pages/DatasetPage.vue'
import DatasetsPage from './pages/DatasetsPage.vue'
import ImageViewerPage from './pages/ImageViewerPage.vue'
import RunsPage from './pages/RunsPage.vue'
import TexturesPage from './pages/TexturesPage.vue'

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
  { path: '/:pathMatch(.*)*', redirect: '/datasets' }
]

export const router = createRouter({ history: createWebHashHistory(), routes })
