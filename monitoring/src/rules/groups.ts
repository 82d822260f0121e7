import { databaseAlerts } from './database.js';
import { gatewayAlerts } from './gateway.js';
import { instrumentationAlerts } from './instrumentation.js';
import { marketDataAlerts } from './market-data.js';
import { strategyAlerts } from './strategy.js';
import { systemAlerts } from './system.js';
import type { AlertGroup } from './types.js';

/** The original system's five alert groups (docs/origin.md), in the order of generated/alerts.yml. */
export const originalAlertGroups: readonly AlertGroup[] = [
  marketDataAlerts,
  gatewayAlerts,
  strategyAlerts,
  systemAlerts,
  databaseAlerts,
];

/** Groups added here, written after the original ones: the SDK's own self-metrics. */
export const addedAlertGroups: readonly AlertGroup[] = [instrumentationAlerts];

/** Every alert group, in the order of generated/alerts.yml: the original five, then the added ones. */
export const alertGroups: readonly AlertGroup[] = [...originalAlertGroups, ...addedAlertGroups];
