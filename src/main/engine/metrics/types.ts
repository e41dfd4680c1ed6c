/** The metrics module's input and output shapes live with the API types (a report crosses to the renderer). */
export * from '../../../common/types/metrics'
