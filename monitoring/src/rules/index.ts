export { databaseAlerts } from './database.js';
export { gatewayAlerts } from './gateway.js';
export { addedAlertGroups, alertGroups, originalAlertGroups } from './groups.js';
export { instrumentationAlerts } from './instrumentation.js';
export { marketDataAlerts } from './market-data.js';
export type { QuantileKey } from './recording.js';
export { recordingGroups, records } from './recording.js';
export { strategyAlerts } from './strategy.js';
export { systemAlerts } from './system.js';
export type {
  AlertDefinition,
  AlertGroup,
  AlertingRule,
  AlertSpec,
  Inhibition,
  RecordingRule,
  RuleGroup,
  Severity,
} from './types.js';
export { alert, runbookAnchor } from './types.js';
