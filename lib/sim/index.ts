export { Rng } from './rng';
export { VirtualClock, NodeClock } from './virtual-clock';
export { SimNetwork, DEFAULT_LINK } from './network';
export type { LinkConfig, Violation, TrafficCounters, PauseInbox } from './network';
export { Simulation } from './simulation';
export type {
  SimulationOptions,
  SimEngineOptions,
  SimNode,
  SimEvent,
  SimLogLine,
  SimProcessState,
} from './simulation';
export { runExperiment } from './experiment';
export type { ExperimentOptions, ExperimentResult } from './experiment';
export { curveCsv, curveSvg } from './report';
