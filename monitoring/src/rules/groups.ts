import { databaseAlerts } from './database.js';
import { gatewayAlerts } from './gateway.js';
import { instrumentationAlerts } from './instrumentation.js';
import { marketDataAlerts } from './market-data.js';
import { strategyAlerts } from './strategy.js';
import { systemAlerts } from './system.js';
import type { AlertGroup } from './types.js';

/** The seed's five alert groups (21 alerts), in the order of generated/alerts.yml. */
export const seedAlertGroups: readonly AlertGroup[] = [
  marketDataAlerts,
  gatewayAlerts,
  strategyAlerts,
  systemAlerts,
  databaseAlerts,
];

/** Groups added after the seed, written after the seed's: the SDK's own accounting. */
export const addedAlertGroups: readonly AlertGroup[] = [instrumentationAlerts];

/** Every alert group, in the order of generated/alerts.yml: the seed's five, then the added ones. */
export const alertGroups: readonly AlertGroup[] = [...seedAlertGroups, ...addedAlertGroups];
