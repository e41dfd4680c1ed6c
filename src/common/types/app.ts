export interface AppInfo {
  version: string
  transport: 'electron' | 'http'
  dbPath: string
  dataDir: string
  sharedDir: string
  /** true when the app can open a native folder dialog (Electron only) */
  canPickFolder: boolean
}
