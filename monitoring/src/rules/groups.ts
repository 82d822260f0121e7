import { databaseAlerts } from './database.js';
import { gatewayAlerts } from './gateway.js';
import { marketDataAlerts } from './market-data.js';
import { strategyAlerts } from './strategy.js';
import { systemAlerts } from './system.js';
import type { AlertGroup } from './types.js';

/** The seed's five alert groups, in the order of generated/alerts.yml. */
export const alertGroups: readonly AlertGroup[] = [
  marketDataAlerts,
  gatewayAlerts,
  strategyAlerts,
  systemAlerts,
  databaseAlerts,
];
