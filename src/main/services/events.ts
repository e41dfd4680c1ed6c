/** The event bus behind `ApiEvents`: services emit, every transport forwards to its clients. */
import { EventEmitter } from 'node:events'
import type { ApiEvent, ApiEvents } from '../../common/ipc/contract'

export class ApiEventBus {
  private readonly emitter = new EventEmitter()

  constructor() {
    this.emitter.setMaxListeners(0)
  }

  emit<E extends ApiEvent>(event: E, payload: ApiEvents[E]): void {
    this.emitter.emit(event, payload)
  }

  on<E extends ApiEvent>(event: E, listener: (payload: ApiEvents[E]) => void): () => void {
    this.emitter.on(event, listener)
    return () => this.emitter.off(event, listener)
  }
}
